//! Compile time: `compile(&spec, &sigs)` on layered specs of 50, 1,000 and
//! 10,000 modules, width 5 (see `asterism_benches::layered_spec`).
//!
//! Only the compile is timed: the spec is built, and checked to compile to the
//! expected shape, before the timed loop, and each plan is dropped outside
//! the timing (`iter_batched` with one call per batch). Throughput is in
//! modules, so criterion reports the cost per module next to the cost per
//! compile.
//!
//! `compile_record_build` times one `RecordBuild` transform of 12,500 and
//! 100,000 inputs (one user input per field): compile time must stay linear
//! in a transform's width (it was quadratic: 100,000 inputs took 13-16 s).
//!
//! `cargo bench -p asterism-benches --bench compile` runs in about a
//! minute: short warm-ups, and 10 samples for the largest specs.

use std::hint::black_box;
use std::time::Duration;

use asterism_benches::{add_signatures, layered_spec};
use asterism_compiler::{compile, CType, DagBuilder, DagSpec, InlineTransform};
use criterion::{criterion_group, criterion_main, BatchSize, BenchmarkId, Criterion, Throughput};

/// Modules per layer.
const WIDTH: usize = 5;

fn compile_layered(c: &mut Criterion) {
    let sigs = add_signatures();
    let mut group = c.benchmark_group("compile_layered");
    group.warm_up_time(Duration::from_secs(1));
    for modules in [50usize, 1_000, 10_000] {
        let spec = layered_spec(modules, WIDTH);
        let plan = compile(&spec, &sigs).expect("a layered spec compiles");
        assert_eq!(plan.module_count(), modules);
        assert_eq!(plan.depth() as usize, modules.div_ceil(WIDTH));
        drop(plan);

        if modules >= 10_000 {
            group
                .sample_size(10)
                .measurement_time(Duration::from_secs(6));
        } else {
            group
                .sample_size(50)
                .measurement_time(Duration::from_secs(3));
        }
        group.throughput(Throughput::Elements(modules as u64));
        group.bench_with_input(BenchmarkId::from_parameter(modules), &spec, |b, spec| {
            b.iter_batched(
                || (),
                |()| compile(black_box(spec), black_box(&sigs)),
                BatchSize::PerIteration,
            )
        });
    }
    group.finish();
}

/// `inputs` Int inputs `f0..`, built into one record by a `RecordBuild`.
fn record_build_spec(inputs: usize) -> DagSpec {
    let mut b = DagBuilder::seeded("wide-record", 7);
    let names: Vec<String> = (0..inputs).map(|i| format!("f{i}")).collect();
    let keys: Vec<_> = names
        .iter()
        .map(|n| b.input(n.clone(), CType::Int))
        .collect();
    let wiring: Vec<(&str, _)> = names.iter().map(String::as_str).zip(keys).collect();
    let ty = CType::product(names.iter().map(|n| (n.clone(), CType::Int)));
    let rec = b.transform(
        "rec",
        ty,
        InlineTransform::RecordBuild {
            fields: names.clone(),
        },
        &wiring,
    );
    b.output("rec", rec);
    b.build()
}

fn compile_record_build(c: &mut Criterion) {
    let sigs = add_signatures();
    let mut group = c.benchmark_group("compile_record_build");
    group
        .warm_up_time(Duration::from_secs(1))
        .sample_size(10)
        .measurement_time(Duration::from_secs(8));
    for inputs in [12_500usize, 100_000] {
        let spec = record_build_spec(inputs);
        let plan = compile(&spec, &sigs).expect("a wide RecordBuild compiles");
        assert_eq!(plan.inputs().len(), inputs);
        assert_eq!(plan.transform_count(), 1);
        drop(plan);
        group.throughput(Throughput::Elements(inputs as u64));
        group.bench_with_input(BenchmarkId::from_parameter(inputs), &spec, |b, spec| {
            b.iter_batched(
                || (),
                |()| compile(black_box(spec), black_box(&sigs)),
                BatchSize::PerIteration,
            )
        });
    }
    group.finish();
}

criterion_group!(benches, compile_layered, compile_record_build);
criterion_main!(benches);
