//! Module call options, timed: one execution of `chain50` (run_sync,
//! latencies off) with one option on every module, against the same
//! modules without options. The instruction counts of the same rows are
//! `benches/callgrind.sh`'s last table.
//!
//! `cargo bench -p asterism-benches --bench options` (well under a minute).

use std::hint::black_box;
use std::time::Duration;

use asterism_benches::contenders::{Asterism, Contender};
use asterism_benches::workload::Graph;
use asterism_compiler::ModuleCallOptions;
use asterism_runtime::RuntimeConfig;
use criterion::{criterion_group, criterion_main, Criterion};

fn options(c: &mut Criterion) {
    let graph = Graph::chain(50);
    let plain = Asterism {
        label: "no options",
        config: RuntimeConfig::default().without_latency(),
        ..Asterism::pooled()
    };
    let retry = Asterism::with_options(
        "retry: 1 (succeeds at once)",
        &graph,
        ModuleCallOptions {
            retry: Some(1),
            ..Default::default()
        },
    );
    let permit = Asterism::with_options(
        "concurrency: 64 (a permit)",
        &graph,
        ModuleCallOptions {
            concurrency: Some(64),
            ..Default::default()
        },
    );
    let cache = Asterism {
        fixed_inputs: true,
        ..Asterism::with_options(
            "cache: 60 s (a hit)",
            &graph,
            ModuleCallOptions {
                cache_ms: Some(60_000),
                ..Default::default()
            },
        )
    };
    let mut group = c.benchmark_group("options_chain50");
    group
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    for contender in [plain, retry, permit, cache] {
        let mut runner = contender.prepare(&graph).expect("prepares");
        runner.run(-1);
        let mut seed = 0i64;
        group.bench_function(contender.name(), |b| {
            b.iter(|| {
                seed += 1;
                black_box(runner.run(seed))
            })
        });
    }
    group.finish();
}

criterion_group!(benches, options);
criterion_main!(benches);
