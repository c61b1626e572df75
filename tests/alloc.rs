//! The hot path allocates nothing: after warm-up, a pooled execution of a
//! 50-module DAG of sync integer modules makes zero heap allocations, on
//! the sync entry point and inside a tokio runtime, and so does a chain of
//! async modules whose futures are ready at once. A counting global
//! allocator (per thread, so other tests' threads do not interfere) proves
//! it; `benches/` measures it again side by side with the baseline.
//!
//! An observed program allocates nothing either, and neither does any
//! program built with the `tracing` and `metrics` features and nothing
//! listening: `cargo test -p asterism --features tracing,metrics --test
//! alloc` runs every test here that way (`.ci/run` does).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use asterism::{
    CType, CValue, DagBuilder, ExecutionFinished, InputIx, Module, ModuleFinished, Observer,
    OutputIx, Program, Registry, RuntimeConfig,
};

struct Counting;

thread_local! {
    static ALLOCS: Cell<u64> = const { Cell::new(0) };
}

// SAFETY: every call forwards to the system allocator unchanged; the
// counter is a const-initialised thread-local `Cell`, which never allocates.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCS.with(|c| c.set(c.get() + 1));
        // SAFETY: same contract as our caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as our caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCS.with(|c| c.set(c.get() + 1));
        // SAFETY: same contract as our caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations_in(f: impl FnOnce()) -> u64 {
    let before = ALLOCS.with(Cell::get);
    f();
    ALLOCS.with(Cell::get) - before
}

/// 50 modules in layers of 5; each takes two values of the layer before.
fn layered(config: &RuntimeConfig) -> (Program, [InputIx; 2], OutputIx) {
    layered_observed(config, None)
}

/// [`layered`], with an observer if given.
fn layered_observed(
    config: &RuntimeConfig,
    observer: Option<Arc<dyn Observer>>,
) -> (Program, [InputIx; 2], OutputIx) {
    let mut b = DagBuilder::seeded("layered50", 50);
    let x = b.input("x", CType::Int);
    let y = b.input("y", CType::Int);
    let mut prev = vec![x, y];
    let mut layer_outputs = Vec::new();
    let ops = [
        "stdlib.add",
        "stdlib.subtract",
        "stdlib.max",
        "stdlib.min",
        "stdlib.add",
    ];
    for layer in 0..10 {
        layer_outputs.clear();
        for w in 0..5 {
            let m = b.module(ops[w]);
            b.bind(prev[w % prev.len()], m, "a");
            b.bind(prev[(w + 1) % prev.len()], m, "b");
            layer_outputs.push(b.produce(m, "out", format!("v{layer}_{w}"), CType::Int));
        }
        prev = layer_outputs.clone();
    }
    let last = b.module("stdlib.add");
    b.bind(prev[0], last, "a");
    b.bind(prev[4], last, "b");
    let out = b.produce(last, "out", "out", CType::Int);
    b.output("out", out);
    // The last layer's other values are outputs too, so nothing dangles.
    for (i, v) in prev.iter().enumerate().skip(1).take(3) {
        b.output(format!("o{i}"), *v);
    }
    let registry = Registry::with_stdlib();
    let program = match observer {
        None => Program::load(&b.build(), &registry, config),
        Some(o) => Program::load_with(&b.build(), &registry, config, o),
    }
    .unwrap();
    assert_eq!(program.plan().module_count(), 51);
    let inputs = [program.input("x").unwrap(), program.input("y").unwrap()];
    let out = program.output("out").unwrap();
    (program, inputs, out)
}

#[test]
fn a_pooled_sync_execution_allocates_nothing() {
    for config in [
        RuntimeConfig::default(),
        RuntimeConfig::default().without_latency(),
        RuntimeConfig::default().with_latency_sampled(std::num::NonZeroU32::new(4).unwrap()),
    ] {
        let (program, [x, y], out) = layered(&config);
        let expected = program
            .run_sync([(x, CValue::Int(3)), (y, CValue::Int(4))])
            .unwrap()
            .output(out)
            .cloned();
        assert!(expected.is_some());
        for i in 0..100 {
            let n = allocations_in(|| {
                let r = program
                    .run_sync([(x, CValue::Int(3)), (y, CValue::Int(4))])
                    .unwrap();
                assert_eq!(r.output(out), expected.as_ref());
            });
            assert_eq!(n, 0, "execution {i} allocated {n} times");
        }
        assert_eq!(program.metrics().pool.misses, 0);
    }
}

#[test]
fn a_pooled_execution_inside_tokio_allocates_nothing() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (program, [x, y], out) = layered(&RuntimeConfig::default());
    rt.block_on(async {
        // Warm up: the first runs may touch lazily initialised runtime parts.
        for _ in 0..10 {
            program
                .run([(x, CValue::Int(1)), (y, CValue::Int(2))])
                .await
                .unwrap();
        }
        for i in 0..100 {
            let before = ALLOCS.with(Cell::get);
            let r = program
                .run([(x, CValue::Int(i)), (y, CValue::Int(2))])
                .await
                .unwrap();
            assert!(r.output(out).is_some());
            drop(r);
            let n = ALLOCS.with(Cell::get) - before;
            assert_eq!(n, 0, "execution {i} allocated {n} times");
        }
    });
}

/// Counts what it hears, into atomics: an observer a service would write.
#[derive(Default)]
struct Tally {
    modules: AtomicU64,
    latencies: AtomicU64,
    executions: AtomicU64,
}

impl Observer for Tally {
    fn module_finished(&self, m: &ModuleFinished<'_>) {
        self.modules.fetch_add(1, Ordering::Relaxed);
        if m.latency.is_some() {
            self.latencies.fetch_add(1, Ordering::Relaxed);
        }
    }
    fn execution_finished(&self, f: &ExecutionFinished<'_>) {
        assert!(f.result.is_some_and(|r| r.is_success()));
        self.executions.fetch_add(1, Ordering::Relaxed);
    }
}

#[test]
fn an_observed_execution_allocates_nothing() {
    for config in [
        RuntimeConfig::default(),
        RuntimeConfig::default().with_latency_every_execution(),
    ] {
        let observer = Arc::new(Tally::default());
        let (program, [x, y], out) = layered_observed(&config, Some(observer.clone()));
        program
            .run_sync([(x, CValue::Int(3)), (y, CValue::Int(4))])
            .unwrap();
        for i in 0..100 {
            let n = allocations_in(|| {
                let r = program
                    .run_sync([(x, CValue::Int(3)), (y, CValue::Int(4))])
                    .unwrap();
                assert!(r.output(out).is_some());
            });
            assert_eq!(n, 0, "observed execution {i} allocated {n} times");
        }
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            for _ in 0..10 {
                program
                    .run([(x, CValue::Int(1)), (y, CValue::Int(2))])
                    .await
                    .unwrap();
            }
            for i in 0..100 {
                let before = ALLOCS.with(Cell::get);
                drop(
                    program
                        .run([(x, CValue::Int(1)), (y, CValue::Int(2))])
                        .await
                        .unwrap(),
                );
                let n = ALLOCS.with(Cell::get) - before;
                assert_eq!(n, 0, "observed async execution {i} allocated {n} times");
            }
        });
        assert_eq!(observer.executions.load(Ordering::Relaxed), 211);
        assert_eq!(observer.modules.load(Ordering::Relaxed), 211 * 51);
        // Sampled: every execution, or the 1st and 65th... of this thread.
        let sampled = if config.modules.latency_sample_every.get() == 1 {
            211
        } else {
            4
        };
        assert_eq!(observer.latencies.load(Ordering::Relaxed), sampled * 51);
    }
}

#[test]
fn the_counter_sees_allocations() {
    // Guards the test above against a counter that never counts.
    let n = allocations_in(|| drop(std::hint::black_box(vec![1u8; 64])));
    assert_eq!(n, 1);
}

/// A chain of `n` async modules whose futures are ready at once.
fn async_chain(n: usize) -> (Program, InputIx, OutputIx) {
    let mut registry = Registry::new();
    registry.register(Module::asynchronous(
        "t.inc-async",
        ["a"],
        "out",
        |a: i64| async move { a.wrapping_add(1) },
    ));
    let mut b = DagBuilder::seeded("async-chain", 7);
    let mut v = b.input("x", CType::Int);
    for i in 0..n {
        let m = b.module("t.inc-async");
        b.bind(v, m, "a");
        v = b.produce(m, "out", format!("v{i}"), CType::Int);
    }
    b.output("out", v);
    let program = Program::load(&b.build(), &registry, &RuntimeConfig::default()).unwrap();
    let (x, out) = (program.input("x").unwrap(), program.output("out").unwrap());
    (program, x, out)
}

#[test]
fn an_async_module_ready_at_once_allocates_nothing_once_its_cell_is_made() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (program, x, out) = async_chain(20);
    rt.block_on(async {
        for _ in 0..10 {
            program.run([(x, CValue::Int(0))]).await.unwrap();
        }
        for i in 0..100 {
            let before = ALLOCS.with(Cell::get);
            let r = program.run([(x, CValue::Int(i))]).await.unwrap();
            assert_eq!(r.output(out), Some(&CValue::Int(i + 20)));
            drop(r);
            let n = ALLOCS.with(Cell::get) - before;
            // Each module's future is built in its node's cell, made in
            // the warm-up and reused: no box, no in-flight entry, no timer,
            // no task.
            assert_eq!(n, 0, "execution {i} allocated {n} times");
        }
    });
}
