//! What an embedder writes against the facade alone: a raw async module
//! whose body is a named function returning `asterism::BoxFuture`, and a
//! typed module over any number of inputs of one type (`asterism::Each`),
//! run together in one pipeline.

use asterism::{
    BoxFuture, CType, CValue, DagBuilder, Each, Module, ModuleError, ModuleInputs, ModuleOutput,
    ModuleSignature, Program, Registry, RuntimeConfig,
};

fn halve(inputs: &ModuleInputs<'_>) -> BoxFuture<Result<ModuleOutput, ModuleError>> {
    let x = inputs.int(0);
    Box::pin(async move {
        tokio::task::yield_now().await;
        Ok(ModuleOutput::One(CValue::Int(x? / 2)))
    })
}

#[tokio::test]
async fn a_named_async_body_and_a_sum_over_inputs_run_from_the_facade() {
    let mut registry = Registry::new();
    let halve_sig = ModuleSignature::new("halve", [("x", CType::Int)], [("out", CType::Int)]);
    registry.register(Module::raw_async(halve_sig, halve));
    registry.register(Module::sync_each(
        "sum",
        &["a", "b", "c"],
        "out",
        |xs: Each<'_, i64>| xs.sum::<i64>(),
    ));

    let mut b = DagBuilder::new("facade");
    let sum = b.module("sum");
    for name in ["a", "b", "c"] {
        let d = b.input(name, CType::Int);
        b.bind(d, sum, name);
    }
    let total = b.produce(sum, "out", "total", CType::Int);
    let half = b.module("halve");
    b.bind(total, half, "x");
    let out = b.produce(half, "out", "half", CType::Int);
    b.output("half", out);

    for config in [
        RuntimeConfig::default(),
        RuntimeConfig::default().reference(),
    ] {
        let program = Program::load(&b.build(), &registry, &config).expect("loads");
        let inputs = ["a", "b", "c"]
            .map(|n| program.input(n).expect("declared"))
            .into_iter()
            .zip([10, 20, 54].map(CValue::Int));
        let result = program.run(inputs).await.expect("valid inputs");
        assert_eq!(result.output_named("half"), Some(&CValue::Int(42)));
    }
}
