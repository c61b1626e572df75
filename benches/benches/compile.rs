//! Compile time: `compile(&spec, &sigs)` on layered specs of 50, 1,000 and
//! 10,000 modules, width 5 (see `asterism_benches::layered_spec`).
//!
//! Only the compile is timed: the spec is built, and checked to compile to the
//! expected shape, before the timed loop, and each plan is dropped outside
//! the timing (`iter_batched` with one call per batch). Throughput is in
//! modules, so criterion reports the cost per module next to the cost per
//! compile.
//!
//! `cargo bench -p asterism-benches --bench compile` runs in well under a
//! minute: short warm-ups, and 10 samples for the 10,000-module spec.

use std::hint::black_box;
use std::time::Duration;

use asterism_benches::{add_signatures, layered_spec};
use asterism_compiler::compile;
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

criterion_group!(benches, compile_layered);
criterion_main!(benches);
