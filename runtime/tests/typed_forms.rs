//! The typed forms an embedder reaches for: functions of up to sixteen
//! parameters, modules over any number of parameters of one type, and
//! reading every parameter of a raw module as one type at once. Each runs
//! through a real pipeline on both executors (the slot executor and the
//! reference one), and each error path names the parameter.

use asterism_compiler::{CType, CValue, DagBuilder, ModuleSignature, Port};
use asterism_runtime::{Each, FailureKind, Module, NodeStatus, Program, Registry, RuntimeConfig};

/// A pipeline calling `module` once, one user input per parameter (named
/// after it), its output declared as `result`.
fn program_for(module: Module, config: &RuntimeConfig) -> Program {
    let sig = module.signature().clone();
    let mut b = DagBuilder::seeded("typed-forms", 5);
    let m = b.module(&sig.name);
    for p in &sig.params {
        let d = b.input(&p.name, p.ty.clone());
        b.bind(d, m, &p.name);
    }
    let out = &sig.outputs[0];
    let data = b.produce(m, &out.name, "result-data", out.ty.clone());
    b.output("result", data);
    let mut registry = Registry::new();
    registry.register(module);
    Program::load(&b.build(), &registry, config).expect("the pipeline loads")
}

fn configs() -> [RuntimeConfig; 2] {
    [
        RuntimeConfig::default(),
        RuntimeConfig::default().reference(),
    ]
}

/// Runs `program` once with `args` (name, value), sync or async: its
/// output, or its one node's status when it has none.
async fn run(program: &Program, args: &[(String, CValue)]) -> Result<CValue, NodeStatus> {
    let inputs: Vec<_> = args
        .iter()
        .map(|(n, v)| (program.input(n).expect("input exists"), v.clone()))
        .collect();
    let result = program.run(inputs).await.expect("valid inputs");
    match result.output_named("result") {
        Some(v) => Ok(v.clone()),
        None => Err(result.status(asterism_compiler::NodeIx(0))),
    }
}

fn named(names: &[String], values: impl IntoIterator<Item = CValue>) -> Vec<(String, CValue)> {
    names.iter().cloned().zip(values).collect()
}

fn param_names(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("p{i}")).collect()
}

#[allow(clippy::too_many_arguments)]
fn weighted16(
    a: i64,
    b: i64,
    c: i64,
    d: i64,
    e: i64,
    f: i64,
    g: i64,
    h: i64,
    i: i64,
    j: i64,
    k: i64,
    l: i64,
    m: i64,
    n: i64,
    o: f64,
    p: bool,
) -> f64 {
    let ints = [a, b, c, d, e, f, g, h, i, j, k, l, m, n];
    let sum: i64 = ints
        .iter()
        .enumerate()
        .map(|(w, x)| (w as i64 + 1) * x)
        .sum();
    if p {
        sum as f64 + o
    } else {
        sum as f64 - o
    }
}

fn sixteen_args() -> Vec<CValue> {
    let mut v: Vec<CValue> = (1..=14).map(CValue::Int).collect();
    v.push(CValue::Float(0.5));
    v.push(CValue::Boolean(true));
    v
}

/// 1*1 + 2*2 + ... + 14*14, plus 0.5.
const WEIGHTED16: f64 = 1015.5;

#[tokio::test]
async fn a_sync_module_takes_sixteen_typed_parameters() {
    let names = param_names(16);
    let params: [&str; 16] = std::array::from_fn(|i| names[i].as_str());
    for config in configs() {
        let module = Module::sync("w16", params, "out", weighted16);
        let sig = module.signature();
        assert_eq!(sig.params.len(), 16);
        assert_eq!(sig.params[13].ty, CType::Int);
        assert_eq!(sig.params[14].ty, CType::Float);
        assert_eq!(sig.params[15].ty, CType::Boolean);
        assert_eq!(sig.outputs[0].ty, CType::Float);
        let program = program_for(module, &config);
        let out = run(&program, &named(&names, sixteen_args())).await;
        assert_eq!(out, Ok(CValue::Float(WEIGHTED16)));
    }
}

#[tokio::test]
async fn an_async_module_takes_sixteen_typed_parameters() {
    let names = param_names(16);
    let params: [&str; 16] = std::array::from_fn(|i| names[i].as_str());
    #[allow(clippy::too_many_arguments)]
    let f = |a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, p| async move {
        tokio::task::yield_now().await;
        weighted16(a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, p)
    };
    for config in configs() {
        let program = program_for(Module::asynchronous("w16a", params, "out", f), &config);
        let out = run(&program, &named(&names, sixteen_args())).await;
        assert_eq!(out, Ok(CValue::Float(WEIGHTED16)));
    }
}

#[tokio::test]
async fn a_sync_module_over_n_inputs_of_one_type_sums_them() {
    for n in [1usize, 3, 20] {
        let names = param_names(n);
        let params: Vec<&str> = names.iter().map(String::as_str).collect();
        for config in configs() {
            let module = Module::sync_each("sum", &params, "out", |xs: Each<'_, i64>| {
                assert_eq!(xs.len(), xs.size_hint().0);
                xs.sum::<i64>()
            });
            assert!(module.signature().params.iter().all(|p| p.ty == CType::Int));
            let program = program_for(module, &config);
            let values = (1..=n as i64).map(CValue::Int);
            let out = run(&program, &named(&names, values)).await;
            let n = n as i64;
            assert_eq!(out, Ok(CValue::Int(n * (n + 1) / 2)), "n = {n}");
        }
    }
}

#[tokio::test]
async fn a_sync_module_over_n_inputs_reports_its_error() {
    let names = param_names(3);
    let params: Vec<&str> = names.iter().map(String::as_str).collect();
    for config in configs() {
        let module = Module::sync_each("checked", &params, "out", |mut xs: Each<'_, i64>| {
            xs.try_fold(0i64, i64::checked_add).ok_or("overflow")
        });
        let program = program_for(module, &config);
        let values = [i64::MAX, 1, 0].map(CValue::Int);
        match run(&program, &named(&names, values)).await {
            Err(NodeStatus::Failed(f)) => {
                assert_eq!(f.kind, FailureKind::Error);
                assert_eq!(f.message, "overflow");
            }
            other => panic!("expected a module error, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn an_async_module_over_n_inputs_of_one_type_gets_their_values() {
    let names = param_names(4);
    let params: Vec<&str> = names.iter().map(String::as_str).collect();
    for config in configs() {
        let module =
            Module::asynchronous_each("join", &params, "out", |xs: Vec<String>| async move {
                tokio::task::yield_now().await;
                xs.join("-")
            });
        assert!(module.is_async());
        let program = program_for(module, &config);
        let values = ["a", "b", "c", "d"].map(|s| CValue::String(s.into()));
        let out = run(&program, &named(&names, values)).await;
        assert_eq!(out, Ok(CValue::String("a-b-c-d".into())));
    }
}

fn int_signature(name: &str, n: usize) -> ModuleSignature {
    ModuleSignature {
        name: name.into(),
        params: param_names(n)
            .iter()
            .map(|p| Port::new(p.as_str(), CType::Int))
            .collect(),
        outputs: vec![Port::new("out", CType::Int)],
        default_timeout: None,
    }
}

#[tokio::test]
async fn a_raw_module_reads_every_input_as_ints_at_once() {
    let names = param_names(5);
    for config in configs() {
        let module = Module::raw_sync(int_signature("rawsum", 5), |inputs, outputs| {
            let total: i64 = inputs.ints()?.sum();
            outputs.set(0, CValue::Int(total))
        });
        let program = program_for(module, &config);
        let out = run(&program, &named(&names, [3, 4, 5, 6, 7].map(CValue::Int))).await;
        assert_eq!(out, Ok(CValue::Int(25)));
    }
}

#[tokio::test]
async fn reading_inputs_as_the_wrong_type_names_the_parameter() {
    let names = param_names(2);
    for config in configs() {
        let module = Module::raw_sync(int_signature("wrong", 2), |inputs, outputs| {
            let n = inputs.floats()?.count() + inputs.bools()?.count();
            outputs.set(0, CValue::Int(n as i64))
        });
        let program = program_for(module, &config);
        match run(&program, &named(&names, [1, 2].map(CValue::Int))).await {
            Err(NodeStatus::Failed(f)) => {
                assert_eq!(f.kind, FailureKind::Error);
                assert!(f.message.contains("parameter `p0`"), "{}", f.message);
                assert!(f.message.contains("Float"), "{}", f.message);
            }
            other => panic!("expected a module error, got {other:?}"),
        }
    }
}

#[test]
fn all_of_a_module_with_no_parameters_is_empty() {
    let module = Module::sync_each("zero", &[], "out", |xs: Each<'_, i64>| xs.count() as i64);
    let program = program_for(module, &RuntimeConfig::default());
    let result = program.run_sync([]).expect("no inputs needed");
    assert_eq!(result.output_named("result"), Some(&CValue::Int(0)));
}
