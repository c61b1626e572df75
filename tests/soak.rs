//! The soak test: a million executions from many tasks on a 2-worker
//! runtime, sharing a pool smaller than the concurrency, with injected
//! latencies, errors, panics, timeouts and cancellations; every completed
//! execution is checked node for node against the reference executor.
//!
//! Not in CI's required lane (it takes a minute or more in release):
//! `just soak`, or
//! `cargo test --release --test soak -- --ignored --nocapture`
//! (`SOAK_EXECUTIONS=N` to change the count).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use asterism::{
    CType, CValue, DagBuilder, ExecutionResult, Module, NodeIx, Phase, Program, Registry,
    RunOptions, RuntimeConfig, SlotIx,
};

/// Counts module futures created and dropped: every future, finished,
/// timed out or cancelled, must be dropped.
#[derive(Default)]
struct Ledger {
    created: AtomicU64,
    dropped: AtomicU64,
}

struct Tracked(Arc<Ledger>);
impl Tracked {
    fn new(l: &Arc<Ledger>) -> Self {
        l.created.fetch_add(1, Ordering::Relaxed);
        Tracked(l.clone())
    }
}
impl Drop for Tracked {
    fn drop(&mut self) {
        self.0.dropped.fetch_add(1, Ordering::Relaxed);
    }
}

/// An async module whose behaviour follows from its input: yields `v % 4`
/// times; errors, panics or hangs past its timeout on rare values. The
/// timeout (500 ms) is far above any healthy run, even on a loaded machine,
/// so only the hanging values time out, in both executors.
fn jitter(name: &str, ledger: &Arc<Ledger>, salt: i64) -> Module {
    let ledger = ledger.clone();
    Module::asynchronous(name, ["v"], "out", move |v: i64| {
        let guard = Tracked::new(&ledger);
        async move {
            let _guard = guard;
            let k = v.wrapping_add(salt).rem_euclid(211);
            if k == 13 {
                return Err(format!("injected error on {v}"));
            }
            if k == 29 {
                panic!("injected panic on {v}");
            }
            if v.wrapping_add(salt).rem_euclid(4_099) == 31 {
                std::future::pending::<()>().await;
            }
            for _ in 0..v.rem_euclid(4) {
                tokio::task::yield_now().await;
            }
            Ok(v.wrapping_mul(3).wrapping_add(salt))
        }
    })
}

fn build(config: &RuntimeConfig, ledger: &Arc<Ledger>) -> Program {
    let mut reg = Registry::with_stdlib();
    reg.register(jitter("j1", ledger, 1));
    reg.register(jitter("j2", ledger, 2));
    reg.register(Module::sync("mix", ["a", "b"], "out", |a: i64, b: i64| {
        if a.wrapping_sub(b).rem_euclid(307) == 7 {
            Err("injected sync error".to_owned())
        } else {
            Ok(a.wrapping_mul(31) ^ b)
        }
    }));
    let mut b = DagBuilder::seeded("soak", 99);
    let x = b.input("x", CType::Int);
    let y = b.input("y", CType::Int);
    let add = b.module("stdlib.max");
    b.bind(x, add, "a");
    b.bind(y, add, "b");
    let s = b.produce(add, "out", "s", CType::Int);
    let j1 = b.module("j1");
    b.timeout_ms(j1, 500);
    b.bind(x, j1, "v");
    let v1 = b.produce(j1, "out", "v1", CType::Int);
    let j2 = b.module("j2");
    b.timeout_ms(j2, 500);
    b.bind(s, j2, "v");
    let v2 = b.produce(j2, "out", "v2", CType::Int);
    let mix = b.module("mix");
    b.bind(v1, mix, "a");
    b.bind(v2, mix, "b");
    let m = b.produce(mix, "out", "m", CType::Int);
    let neg = b.module("stdlib.negate");
    b.bind(y, neg, "value");
    let n = b.produce(neg, "out", "n", CType::Int);
    b.output("m", m);
    b.output("n", n);
    b.output("v2", v2);
    Program::load(&b.build(), &reg, config).expect("the soak pipeline loads")
}

/// An execution's outcome, owned, for comparison.
#[derive(Debug, PartialEq)]
struct Outcome {
    phases: Vec<Phase>,
    values: Vec<Option<CValue>>,
}

fn outcome(r: &ExecutionResult<'_>) -> Outcome {
    let plan = r.plan();
    Outcome {
        phases: (0..plan.node_count() as u32)
            .map(|n| r.phase(NodeIx(n)))
            .collect(),
        values: (0..plan.slot_count() as u32)
            .map(|s| r.value(SlotIx(s)).cloned())
            .collect(),
    }
}

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .map(str::to_owned)
        })
        .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        .unwrap_or(0)
}

#[derive(Default)]
struct Tally {
    checked: AtomicU64,
    failed_runs: AtomicU64,
    dropped_early: AtomicU64,
    cut_by_deadline: AtomicU64,
    mismatches: AtomicU64,
}

#[test]
#[ignore = "soak: run with `just soak` (a minute or more in release)"]
fn a_million_executions_match_the_reference() {
    let total: u64 = std::env::var("SOAK_EXECUTIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let tasks: u64 = 64;
    // Module panics are part of the test; keep their messages off stderr.
    std::panic::set_hook(Box::new(|_| {}));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let ledger = Arc::new(Ledger::default());
    // Latencies sampled one execution in two: runs alternate between the
    // default path (every module timed) and the one that reads the clock
    // only for modules with timeouts, under the same faults.
    let program = build(
        &RuntimeConfig::default()
            .with_pool_size(16)
            .with_latency_sampled(std::num::NonZeroU32::new(2).unwrap()),
        &ledger,
    );
    let reference = build(&RuntimeConfig::default().reference(), &ledger);
    let tally = Arc::new(Tally::default());
    let rss_start = rss_kib();
    let started = Instant::now();
    rt.block_on(async {
        let handles: Vec<_> = (0..tasks)
            .map(|t| {
                let (program, reference, tally) =
                    (program.clone(), reference.clone(), tally.clone());
                tokio::spawn(async move {
                    let (x, y) = (program.input("x").unwrap(), program.input("y").unwrap());
                    let mut seed = t.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
                    for i in 0..total / tasks {
                        seed ^= seed << 13;
                        seed ^= seed >> 7;
                        seed ^= seed << 17;
                        let (a, b) = ((seed % 1_000_003) as i64, (seed >> 20) as i64 % 1_000_003);
                        let inputs = [(x, CValue::Int(a)), (y, CValue::Int(b))];
                        match i % 500 {
                            // Cancellation by drop at a random point.
                            0 => {
                                let cut = Duration::from_micros(seed % 50);
                                if tokio::time::timeout(cut, program.run(inputs))
                                    .await
                                    .is_err()
                                {
                                    tally.dropped_early.fetch_add(1, Ordering::Relaxed);
                                    continue;
                                }
                            }
                            // A whole-execution deadline that may cut the run.
                            1 => {
                                let options =
                                    RunOptions::with_timeout(Duration::from_micros(seed % 100));
                                let r = program.run_with(inputs, &options).await.unwrap();
                                if r.deadline_exceeded() {
                                    assert!(r
                                        .plan()
                                        .topo_order()
                                        .iter()
                                        .all(|n| r.phase(*n).is_terminal()));
                                    tally.cut_by_deadline.fetch_add(1, Ordering::Relaxed);
                                    continue;
                                }
                                check(&r, &reference, a, b, &tally).await;
                            }
                            _ => {
                                let r = program.run(inputs).await.unwrap();
                                check(&r, &reference, a, b, &tally).await;
                            }
                        }
                    }
                })
            })
            .collect();
        for h in handles {
            h.await.unwrap();
        }
    });
    let elapsed = started.elapsed();
    drop(rt);
    let rss_end = rss_kib();
    let m = program.metrics();
    let p = m.pool;
    let (created, dropped) = (
        ledger.created.load(Ordering::Relaxed),
        ledger.dropped.load(Ordering::Relaxed),
    );
    println!(
        "soak: {} executions in {:.1} s ({} tasks, 2 workers, pool of 16, latencies sampled 1 in 2)",
        m.executions_started,
        elapsed.as_secs_f64(),
        tasks
    );
    println!(
        "  checked against the reference: {}, mismatches: {}",
        tally.checked.load(Ordering::Relaxed),
        tally.mismatches.load(Ordering::Relaxed)
    );
    println!(
        "  executions with a failed node: {}, modules failed: {}, timed out: {}, nodes skipped: {}",
        tally.failed_runs.load(Ordering::Relaxed),
        m.modules_failed,
        m.modules_timed_out,
        m.nodes_skipped
    );
    println!(
        "  cancelled by drop: {}, cut by deadline: {}",
        tally.dropped_early.load(Ordering::Relaxed),
        tally.cut_by_deadline.load(Ordering::Relaxed)
    );
    println!("  module futures created {created}, dropped {dropped}");
    println!(
        "  pool: hits {} misses {} returns {} drops {} resets {} idle {}",
        p.hits,
        p.misses,
        p.returns,
        p.drops,
        p.resets,
        program.pool().idle()
    );
    println!("  RSS: {rss_start} KiB at start, {rss_end} KiB at end");

    assert_eq!(tally.mismatches.load(Ordering::Relaxed), 0);
    assert_eq!(created, dropped, "every module future was dropped");
    assert_eq!(
        p.hits + p.misses,
        m.executions_started,
        "every execution acquired a state"
    );
    assert_eq!(
        p.returns + p.drops,
        m.executions_started,
        "every state went back or was dropped"
    );
    assert!(program.pool().idle() <= 16);
    assert!(
        m.modules_failed > 0 && m.modules_timed_out > 0,
        "faults were injected"
    );
}

async fn check(r: &ExecutionResult<'_>, reference: &Program, a: i64, b: i64, tally: &Tally) {
    let (x, y) = (reference.input("x").unwrap(), reference.input("y").unwrap());
    let want = reference
        .run([(x, CValue::Int(a)), (y, CValue::Int(b))])
        .await
        .unwrap();
    let (got, want) = (outcome(r), outcome(&want));
    if got != want {
        tally.mismatches.fetch_add(1, Ordering::Relaxed);
        eprintln!("mismatch for ({a}, {b}):\n  slot:      {got:?}\n  reference: {want:?}");
    }
    if !r.is_success() {
        tally.failed_runs.fetch_add(1, Ordering::Relaxed);
    }
    tally.checked.fetch_add(1, Ordering::Relaxed);
}
