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
//! `lang_compile` times the pipeline language's front end
//! (`asterism::lang::compile`: parse, check against the standard
//! signatures, lower to a DagSpec) on the original's `hello.cst` and on a
//! generated 100-statement program; throughput is in statements, so
//! criterion reports the time per statement. (The original quotes 50-200 ms
//! for a cold compile of its language.)
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

/// A program of `n` statements cycling through the language's common
/// forms: arithmetic, comparison with `if`, a guard and `??`, a record and a
/// field, interpolation, a call with a `with` clause.
pub fn statements_program(n: usize) -> String {
    let mut s = String::from("@example(3)\nin x: Int\n@example(\"a\")\nin t: String\nv0 = x + 1\n");
    for i in 1..n {
        let p = format!("v{}", i - 1);
        let line = match i % 6 {
            0 => format!("v{i} = {p} * 2 - x\n"),
            1 => format!("v{i} = if ({p} > 10) {p} - 3 else {p} + x\n"),
            2 => format!("g{i} = {p} when {p} > 5\nv{i} = g{i} ?? x\n"),
            3 => format!("r{i} = {{ a: {p}, b: t }}\nv{i} = r{i}.a + 1\n"),
            4 => format!("s{i} = \"${{t}}-${{{p}}}\"\nv{i} = {p} + string-length(s{i})\n"),
            _ => format!("c{i} = concat(t, \"!\") with retry: 2, timeout: 100ms\nv{i} = {p} / 2 + string-length(c{i})\n"),
        };
        s.push_str(&line);
    }
    s.push_str(&format!("out v{}\n", n - 1));
    s
}

fn lang_compile(c: &mut Criterion) {
    let sigs = asterism::Registry::with_stdlib().signatures();
    let hello = include_str!("../../examples/hello.cst");
    let big = statements_program(100);
    let mut group = c.benchmark_group("lang_compile");
    group
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sample_size(50);
    for (name, source, statements) in [
        ("hello", hello, 2u64),
        ("100_statements", big.as_str(), 100),
    ] {
        let compiled = asterism::lang::compile(source, &sigs).expect("the program compiles");
        asterism::compile(&compiled.spec, &sigs).expect("its spec compiles");
        group.throughput(Throughput::Elements(statements));
        group.bench_function(name, |b| {
            b.iter(|| asterism::lang::compile(black_box(source), black_box(&sigs)))
        });
    }
    group.finish();
}

criterion_group!(benches, compile_layered, compile_record_build, lang_compile);
criterion_main!(benches);
