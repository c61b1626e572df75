//! End-to-end behaviour of the executor: async concurrency, timeouts that
//! start when a module is ready, deadlines, cancellation by token and by
//! drop, many concurrent executions on two workers, and isolation between
//! executions that reuse one pooled state. Time is tokio's paused clock, so
//! every duration here is virtual and every assertion deterministic.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use asterism::runtime::{FailureKind, NodeStatus};
use asterism::{
    CType, CValue, CancellationToken, DagBuilder, Module, Phase, Program, Registry, RunOptions,
    RuntimeConfig,
};
use tokio::time::Instant;

/// An async module that sleeps `ms` (virtual) and returns its input.
fn sleeper(name: &str, ms: u64) -> Module {
    Module::asynchronous(name, ["v"], "out", move |v: i64| async move {
        tokio::time::sleep(Duration::from_millis(ms)).await;
        v
    })
}

/// Counts drops, to prove cancelled futures are dropped.
struct DropCount(Arc<AtomicUsize>);
impl Drop for DropCount {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

#[tokio::test(start_paused = true)]
async fn independent_async_modules_wait_at_the_same_time() {
    let mut reg = Registry::new();
    reg.register(sleeper("wait1ms", 1));
    let mut b = DagBuilder::seeded("ten", 3);
    let x = b.input("x", CType::Int);
    for i in 0..10 {
        let m = b.module("wait1ms");
        b.bind(x, m, "v");
        let o = b.produce(m, "out", format!("o{i}"), CType::Int);
        b.output(format!("o{i}"), o);
    }
    let program = Program::load(&b.build(), &reg, &RuntimeConfig::default()).unwrap();
    let x = program.input("x").unwrap();
    let start = Instant::now();
    let r = program.run([(x, CValue::Int(9))]).await.unwrap();
    // Ten 1 ms waits overlap: the virtual clock moved 1 ms, not 10.
    assert_eq!(start.elapsed(), Duration::from_millis(1));
    assert!(r.is_success());
    assert!(r.outputs().all(|(_, v)| v == Some(&CValue::Int(9))));
}

/// x -> a -> b -> c, each async module sleeping `ms` with a timeout of
/// `timeout_ms`; plus an independent sync branch x -> neg.
fn chain(ms: [u64; 3], timeout_ms: u64) -> (Program, asterism::InputIx) {
    let mut reg = Registry::with_stdlib();
    for (i, ms) in ms.iter().enumerate() {
        reg.register(sleeper(&format!("s{i}"), *ms));
    }
    let mut b = DagBuilder::seeded("chain", 5);
    let x = b.input("x", CType::Int);
    let mut prev = x;
    for i in 0..3 {
        let m = b.module(format!("s{i}"));
        b.timeout_ms(m, timeout_ms);
        b.bind(prev, m, "v");
        prev = b.produce(m, "out", format!("c{i}"), CType::Int);
    }
    b.output("end", prev);
    let neg = b.module("stdlib.negate");
    b.bind(x, neg, "value");
    let n = b.produce(neg, "out", "neg", CType::Int);
    b.output("neg", n);
    let program = Program::load(&b.build(), &reg, &RuntimeConfig::default()).unwrap();
    let x = program.input("x").unwrap();
    (program, x)
}

#[tokio::test(start_paused = true)]
async fn the_timeout_clock_starts_when_a_module_is_ready() {
    // Each module takes 8 ms of its 10 ms; the chain takes 24 ms in all,
    // which would time out if clocks started with the run (the original's
    // defect).
    let (program, x) = chain([8, 8, 8], 10);
    let start = Instant::now();
    let r = program.run([(x, CValue::Int(4))]).await.unwrap();
    assert_eq!(start.elapsed(), Duration::from_millis(24));
    assert!(r.is_success(), "{:?}", r.problems());
    assert_eq!(r.output_named("end"), Some(&CValue::Int(4)));
}

#[tokio::test(start_paused = true)]
async fn a_timed_out_module_skips_its_dependants_and_independent_branches_finish() {
    let (program, x) = chain([2, 50, 2], 10);
    let start = Instant::now();
    let r = program.run([(x, CValue::Int(4))]).await.unwrap();
    // s0 takes 2 ms, s1 is cut at its 10 ms: 12 ms, not 54.
    assert_eq!(start.elapsed(), Duration::from_millis(12));
    assert_eq!(r.output_named("end"), None);
    assert_eq!(r.output_named("neg"), Some(&CValue::Int(-4)));
    assert_eq!((r.failed_count(), r.skipped_count()), (1, 1));
    let (failed, failure) = r.failures().remove(0);
    assert_eq!(r.plan().node_name(failed), "s1");
    assert_eq!(failure.kind, FailureKind::Timeout);
    assert_eq!(r.phase(failed), Phase::TimedOut);
    let (_, upstream) = r.skipped()[0];
    assert_eq!(upstream, failed);
    let m = program.metrics();
    assert_eq!(
        (m.modules_timed_out, m.nodes_skipped, m.executions_failed),
        (1, 1, 1)
    );
}

#[tokio::test(start_paused = true)]
async fn config_overrides_the_specs_timeout() {
    let mut reg = Registry::new();
    reg.register(sleeper("slow", 30));
    let mut b = DagBuilder::seeded("override", 9);
    let x = b.input("x", CType::Int);
    let m = b.module("slow");
    b.timeout_ms(m, 10);
    b.bind(x, m, "v");
    let o = b.produce(m, "out", "o", CType::Int);
    b.output("o", o);
    let spec = b.build();
    let strict = Program::load(&spec, &reg, &RuntimeConfig::default()).unwrap();
    let x = strict.input("x").unwrap();
    assert_eq!(
        strict
            .run([(x, CValue::Int(1))])
            .await
            .unwrap()
            .failed_count(),
        1
    );

    let mut config = RuntimeConfig::default();
    config.modules.timeouts_ms.insert("slow".into(), 100);
    let relaxed = Program::load(&spec, &reg, &config).unwrap();
    let r = relaxed.run([(x, CValue::Int(1))]).await.unwrap();
    assert!(r.is_success());
    assert_eq!(r.output_named("o"), Some(&CValue::Int(1)));
}

#[tokio::test(start_paused = true)]
async fn a_deadline_cancels_what_is_unfinished_and_leaves_the_pool_clean() {
    let (program, x) = chain([5, 5, 5], 100);
    let options = RunOptions::with_timeout(Duration::from_millis(7));
    let r = program
        .run_with([(x, CValue::Int(1))], &options)
        .await
        .unwrap();
    assert!(r.deadline_exceeded());
    assert_eq!(r.output_named("neg"), Some(&CValue::Int(-1)));
    let mut cancelled: Vec<_> = (0..r.plan().node_count() as u32)
        .map(asterism::NodeIx)
        .filter(|n| r.phase(*n) == Phase::Cancelled)
        .map(|n| r.plan().node_name(n).to_owned())
        .collect();
    cancelled.sort();
    // s0 finished at 5 ms; s1 was running and s2 waiting at the 7 ms deadline.
    assert_eq!(cancelled, ["s1", "s2"]);
    drop(r);
    let r = program.run([(x, CValue::Int(2))]).await.unwrap();
    assert!(r.is_success());
    assert_eq!(r.output_named("end"), Some(&CValue::Int(2)));
    assert_eq!(program.metrics().executions_aborted, 1);
}

#[tokio::test(start_paused = true)]
async fn a_cancellation_token_stops_the_execution() {
    let token = CancellationToken::new();
    let drops = Arc::new(AtomicUsize::new(0));
    let mut reg = Registry::new();
    let (t, d) = (token.clone(), drops.clone());
    reg.register(Module::asynchronous("hang", ["v"], "out", move |v: i64| {
        let guard = DropCount(d.clone());
        let t = t.clone();
        async move {
            let _guard = guard;
            t.cancel();
            std::future::pending::<()>().await;
            v
        }
    }));
    let mut b = DagBuilder::seeded("cancel", 2);
    let x = b.input("x", CType::Int);
    let m = b.module("hang");
    b.bind(x, m, "v");
    let o = b.produce(m, "out", "o", CType::Int);
    b.output("o", o);
    let program = Program::load(&b.build(), &reg, &RuntimeConfig::default()).unwrap();
    let x = program.input("x").unwrap();
    let r = program
        .run_with([(x, CValue::Int(1))], &RunOptions::with_cancel(token))
        .await
        .unwrap();
    assert!(r.is_cancelled());
    assert_eq!(r.status(asterism::NodeIx(0)), NodeStatus::Cancelled);
    assert_eq!(
        drops.load(Ordering::SeqCst),
        1,
        "the in-flight future was dropped"
    );
}

/// A typed async module's futures live in a cell its pooled state reuses:
/// one that times out is dropped with the run, one that finishes is
/// dropped when ready, and the cell serves the next run either way.
#[tokio::test(start_paused = true)]
async fn a_typed_future_is_dropped_when_it_times_out_or_finishes_and_its_cell_is_reused() {
    let drops = Arc::new(AtomicUsize::new(0));
    let mut reg = Registry::new();
    let d = drops.clone();
    reg.register(Module::asynchronous("nap", ["v"], "out", move |v: i64| {
        let guard = DropCount(d.clone());
        async move {
            let _guard = guard;
            // Negative inputs sleep past the 10 ms timeout.
            let ms = if v < 0 { 3_600_000 } else { 1 };
            tokio::time::sleep(Duration::from_millis(ms)).await;
            v * 2
        }
    }));
    let mut b = DagBuilder::seeded("cell", 9);
    let x = b.input("x", CType::Int);
    let m = b.module("nap");
    b.timeout_ms(m, 10);
    b.bind(x, m, "v");
    let o = b.produce(m, "out", "o", CType::Int);
    b.output("o", o);
    let config = RuntimeConfig::default().with_pool_size(1);
    let program = Program::load(&b.build(), &reg, &config).unwrap();
    let x = program.input("x").unwrap();
    for round in 1..=3 {
        let r = program.run([(x, CValue::Int(-1))]).await.unwrap();
        assert_eq!(
            r.phase(asterism::NodeIx(0)),
            Phase::TimedOut,
            "round {round}"
        );
        assert_eq!(
            drops.load(Ordering::SeqCst),
            2 * round - 1,
            "round {round}: the timed-out future was dropped with its run"
        );
        drop(r);
        let r = program.run([(x, CValue::Int(round as i64))]).await.unwrap();
        assert_eq!(r.output_named("o"), Some(&CValue::Int(2 * round as i64)));
        assert_eq!(
            drops.load(Ordering::SeqCst),
            2 * round,
            "round {round}: the finished future was dropped when ready"
        );
    }
    let stats = program.metrics().pool;
    assert_eq!(stats.misses, 0, "the one pooled state served every run");
    assert_eq!(stats.drops, 0);
}

#[tokio::test(start_paused = true)]
async fn dropping_the_execution_future_cancels_it_and_the_pool_stays_clean() {
    let drops = Arc::new(AtomicUsize::new(0));
    let mut reg = Registry::with_stdlib();
    let d = drops.clone();
    reg.register(Module::asynchronous(
        "maybe_hang",
        ["v"],
        "out",
        move |v: i64| {
            let guard = DropCount(d.clone());
            async move {
                let _guard = guard;
                if v < 0 {
                    std::future::pending::<()>().await;
                }
                v
            }
        },
    ));
    let mut b = DagBuilder::seeded("drop", 4);
    let x = b.input("x", CType::Int);
    let m = b.module("maybe_hang");
    b.bind(x, m, "v");
    let o = b.produce(m, "out", "o", CType::Int);
    let neg = b.module("stdlib.negate");
    b.bind(o, neg, "value");
    let n = b.produce(neg, "out", "n", CType::Int);
    b.output("n", n);
    let config = RuntimeConfig::default().with_pool_size(1);
    let program = Program::load(&b.build(), &reg, &config).unwrap();
    let x = program.input("x").unwrap();

    let dropped = tokio::time::timeout(
        Duration::from_millis(5),
        program.run([(x, CValue::Int(-1))]),
    )
    .await;
    assert!(dropped.is_err(), "the hanging execution was cut off");
    assert_eq!(
        drops.load(Ordering::SeqCst),
        1,
        "its module future was dropped"
    );
    assert_eq!(program.pool().idle(), 1, "its state went back to the pool");

    let r = program.run([(x, CValue::Int(3))]).await.unwrap();
    assert!(r.is_success());
    assert_eq!(r.output_named("n"), Some(&CValue::Int(-3)));
    let stats = program.metrics().pool;
    assert_eq!(stats.drops, 0);
    assert!(stats.returns >= 1);
}

#[tokio::test(start_paused = true)]
async fn a_future_that_panics_while_dropped_does_not_take_the_runtime_down() {
    struct PanicOnDrop;
    impl Drop for PanicOnDrop {
        fn drop(&mut self) {
            if !std::thread::panicking() {
                panic!("panic while dropped");
            }
        }
    }
    let mut reg = Registry::new();
    reg.register(Module::asynchronous("bad_drop", ["v"], "out", |v: i64| {
        let guard = PanicOnDrop;
        async move {
            let _guard = guard;
            tokio::time::sleep(Duration::from_millis(50)).await;
            v
        }
    }));
    let mut b = DagBuilder::seeded("bad_drop", 6);
    let x = b.input("x", CType::Int);
    let m = b.module("bad_drop");
    b.timeout_ms(m, 5);
    b.bind(x, m, "v");
    let o = b.produce(m, "out", "o", CType::Int);
    b.output("o", o);
    let program = Program::load(
        &b.build(),
        &reg,
        &RuntimeConfig::default().with_pool_size(1),
    )
    .unwrap();
    let x = program.input("x").unwrap();
    for _ in 0..3 {
        let r = program.run([(x, CValue::Int(1))]).await.unwrap();
        assert_eq!(r.failures()[0].1.kind, FailureKind::Timeout);
    }
    assert_eq!(program.metrics().modules_timed_out, 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_concurrent_executions_on_two_workers_are_all_correct() {
    let mut reg = Registry::with_stdlib();
    reg.register(Module::asynchronous(
        "yield_twice",
        ["v"],
        "out",
        |v: i64| async move {
            tokio::task::yield_now().await;
            tokio::task::yield_now().await;
            v * 2
        },
    ));
    let mut b = DagBuilder::seeded("many", 8);
    let x = b.input("x", CType::Int);
    let y = b.input("y", CType::Int);
    let add = b.module("stdlib.add");
    b.bind(x, add, "a");
    b.bind(y, add, "b");
    let s = b.produce(add, "out", "s", CType::Int);
    let dbl = b.module("yield_twice");
    b.bind(s, dbl, "v");
    let d = b.produce(dbl, "out", "d", CType::Int);
    let sub = b.module("stdlib.subtract");
    b.bind(d, sub, "a");
    b.bind(x, sub, "b");
    let out = b.produce(sub, "out", "out", CType::Int);
    b.output("out", out);
    // A pool smaller than the concurrency: some states are built and dropped.
    let config = RuntimeConfig::default().with_pool_size(16);
    let program = Program::load(&b.build(), &reg, &config).unwrap();
    let (xi, yi, oi) = (
        program.input("x").unwrap(),
        program.input("y").unwrap(),
        program.output("out").unwrap(),
    );
    let tasks: Vec<_> = (0..1000i64)
        .map(|i| {
            let p = program.clone();
            tokio::spawn(async move {
                let r = p
                    .run([(xi, CValue::Int(i)), (yi, CValue::Int(3 * i))])
                    .await
                    .unwrap();
                (i, r.output(oi).cloned())
            })
        })
        .collect();
    for t in tasks {
        let (i, out) = t.await.unwrap();
        assert_eq!(out, Some(CValue::Int(2 * (i + 3 * i) - i)), "execution {i}");
    }
    let m = program.metrics();
    assert_eq!(m.executions_succeeded, 1000);
    let p = m.pool;
    assert_eq!(p.hits + p.misses, 1000);
    assert_eq!(p.returns + p.drops, 1000);
    assert!(program.pool().idle() <= 16);
}

/// Every execution carries its own sentinel; modules copy it to the output
/// through a sync and an async path, and some executions time out half-way
/// (their futures are dropped while the state is reused at once by the next
/// execution on a pool of one). No execution may ever see another's value.
#[tokio::test(start_paused = true)]
async fn executions_reusing_one_pooled_state_never_see_each_others_values() {
    let mut reg = Registry::with_stdlib();
    reg.register(Module::asynchronous(
        "straggle",
        ["v"],
        "out",
        |v: i64| async move {
            // Sentinels divisible by 3 straggle past their timeout.
            let ms = if v % 3 == 0 { 50 } else { 1 };
            tokio::time::sleep(Duration::from_millis(ms)).await;
            v
        },
    ));
    let mut b = DagBuilder::seeded("isolation", 10);
    let s = b.input("sentinel", CType::Int);
    let z = b.input("zero", CType::Int);
    let copy = b.module("stdlib.add");
    b.bind(s, copy, "a");
    b.bind(z, copy, "b");
    let c = b.produce(copy, "out", "copied", CType::Int);
    let slow = b.module("straggle");
    b.timeout_ms(slow, 10);
    b.bind(c, slow, "v");
    let late = b.produce(slow, "out", "late", CType::Int);
    b.output("copied", c);
    b.output("late", late);
    let program = Program::load(
        &b.build(),
        &reg,
        &RuntimeConfig::default().with_pool_size(1),
    )
    .unwrap();
    let (si, zi) = (
        program.input("sentinel").unwrap(),
        program.input("zero").unwrap(),
    );
    for sentinel in 1..=300i64 {
        let r = program
            .run([(si, CValue::Int(sentinel)), (zi, CValue::Int(0))])
            .await
            .unwrap();
        assert_eq!(r.output_named("copied"), Some(&CValue::Int(sentinel)));
        let late = r.output_named("late");
        if sentinel % 3 == 0 {
            assert_eq!(
                late, None,
                "execution {sentinel} timed out, so it has no late value"
            );
        } else {
            assert_eq!(
                late,
                Some(&CValue::Int(sentinel)),
                "execution {sentinel} saw another's value"
            );
        }
        // Every slot holds this execution's value or nothing.
        for slot in 0..r.plan().slot_count() as u32 {
            if let Some(v) = r.value(asterism::SlotIx(slot)) {
                assert!(
                    v == &CValue::Int(sentinel) || v == &CValue::Int(0),
                    "slot {slot} holds {v:?}"
                );
            }
        }
    }
    let p = program.metrics().pool;
    assert_eq!(
        p.misses, 0,
        "a pool of one served every execution after prewarm"
    );
    assert_eq!(p.hits, 300);
}

/// x -> m0 -> m1 -> ... -> m(n-1), every node running module `name`; the
/// last output is `end`.
fn chain_of(name: &str, n: usize, module: Module) -> (Program, asterism::InputIx) {
    chain_of_with(name, n, module, &RuntimeConfig::default())
}

/// [`chain_of`] under `config`.
fn chain_of_with(
    name: &str,
    n: usize,
    module: Module,
    config: &RuntimeConfig,
) -> (Program, asterism::InputIx) {
    let mut reg = Registry::new();
    reg.register(module);
    let mut b = DagBuilder::seeded("watched", 4);
    let mut prev = b.input("x", CType::Int);
    for i in 0..n {
        let m = b.module(name);
        b.bind(prev, m, "v");
        prev = b.produce(m, "out", format!("v{i}"), CType::Int);
    }
    b.output("end", prev);
    let program = Program::load(&b.build(), &reg, config).unwrap();
    let x = program.input("x").unwrap();
    (program, x)
}

/// How many nodes of each phase a result shows.
fn phases(r: &asterism::ExecutionResult<'_>) -> (usize, usize) {
    let nodes = (0..r.plan().module_count() as u32).map(asterism::NodeIx);
    let completed = nodes
        .clone()
        .filter(|&n| r.phase(n) == Phase::Completed)
        .count();
    let cancelled = nodes.filter(|&n| r.phase(n) == Phase::Cancelled).count();
    (completed, cancelled)
}

/// A sync module that counts its calls and cancels `token` on call
/// `cancel_on` (1-based). That call then lasts 1 ms (real time), more than
/// the 2 us the watch may go without reading the token, so the run must
/// stop right after it.
fn cancelling_step(
    calls: Arc<AtomicUsize>,
    token: Arc<std::sync::Mutex<CancellationToken>>,
    cancel_on: usize,
) -> Module {
    Module::sync("step", ["v"], "out", move |v: i64| {
        if calls.fetch_add(1, Ordering::SeqCst) + 1 == cancel_on {
            token.lock().unwrap().cancel();
            std::thread::sleep(Duration::from_millis(1));
        }
        v + 1
    })
}

#[tokio::test]
async fn a_token_cancelled_during_a_sync_pass_stops_it_at_the_next_node() {
    let calls = Arc::new(AtomicUsize::new(0));
    let token = Arc::new(std::sync::Mutex::new(CancellationToken::new()));
    let (program, x) = chain_of("step", 5, cancelling_step(calls.clone(), token.clone(), 2));
    let options = RunOptions::with_cancel(token.lock().unwrap().clone());
    let r = program
        .run_with([(x, CValue::Int(0))], &options)
        .await
        .unwrap();
    assert!(r.is_cancelled());
    assert_eq!(
        calls.load(Ordering::SeqCst),
        2,
        "no node ran after the cancel"
    );
    assert_eq!(phases(&r), (2, 3));
    assert_eq!(r.output_named("end"), None);
    drop(r);
    assert_eq!(program.metrics().executions_aborted, 1);

    // The pooled state runs a later execution in full.
    *token.lock().unwrap() = CancellationToken::new();
    let options = RunOptions::with_cancel(token.lock().unwrap().clone());
    calls.store(100, Ordering::SeqCst);
    let r = program
        .run_with([(x, CValue::Int(0))], &options)
        .await
        .unwrap();
    assert!(r.is_success(), "{:?}", r.problems());
    assert_eq!(r.output_named("end"), Some(&CValue::Int(5)));
}

#[tokio::test]
async fn a_deadline_passed_during_sync_work_stops_the_pass_at_the_next_node() {
    let calls = Arc::new(AtomicUsize::new(0));
    let seen = calls.clone();
    // Each call takes at least 3 ms, so a 1 ms deadline has passed when the
    // first one returns (real time: sync work does not move a paused clock).
    let slow = Module::sync("slow", ["v"], "out", move |v: i64| {
        seen.fetch_add(1, Ordering::SeqCst);
        std::thread::sleep(Duration::from_millis(3));
        v + 1
    });
    let (program, x) = chain_of("slow", 4, slow);
    let options = RunOptions::with_timeout(Duration::from_millis(1));
    let r = program
        .run_with([(x, CValue::Int(0))], &options)
        .await
        .unwrap();
    assert!(r.deadline_exceeded());
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    assert_eq!(phases(&r), (1, 3));
}

#[tokio::test]
async fn a_sync_plan_cancelled_or_late_before_it_starts_runs_nothing() {
    let calls = Arc::new(AtomicUsize::new(0));
    let token = Arc::new(std::sync::Mutex::new(CancellationToken::new()));
    let (program, x) = chain_of("step", 3, cancelling_step(calls.clone(), token.clone(), 0));
    let cancelled = CancellationToken::new();
    cancelled.cancel();
    let r = program
        .run_with([(x, CValue::Int(0))], &RunOptions::with_cancel(cancelled))
        .await
        .unwrap();
    assert!(r.is_cancelled());
    assert_eq!(phases(&r), (0, 3));
    drop(r);
    let late = RunOptions {
        deadline: Some(Instant::now() - Duration::from_millis(1)),
        ..Default::default()
    };
    let r = program
        .run_with([(x, CValue::Int(0))], &late)
        .await
        .unwrap();
    assert!(r.deadline_exceeded());
    assert_eq!(phases(&r), (0, 3));
    assert_eq!(calls.load(Ordering::SeqCst), 0);
}

#[tokio::test(start_paused = true)]
async fn a_token_cancelled_by_a_ready_async_module_stops_the_pass() {
    let calls = Arc::new(AtomicUsize::new(0));
    let token = CancellationToken::new();
    let (seen, t) = (calls.clone(), token.clone());
    let ready = Module::asynchronous("ready", ["v"], "out", move |v: i64| {
        let n = seen.fetch_add(1, Ordering::SeqCst) + 1;
        let t = t.clone();
        async move {
            if n == 2 {
                t.cancel();
                // Longer than the watch's 2 us interval (see cancelling_step).
                std::thread::sleep(Duration::from_millis(1));
            }
            v + 1
        }
    });
    let (program, x) = chain_of("ready", 4, ready);
    let r = program
        .run_with([(x, CValue::Int(0))], &RunOptions::with_cancel(token))
        .await
        .unwrap();
    assert!(r.is_cancelled());
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    assert_eq!(phases(&r), (2, 2));
}

#[tokio::test(start_paused = true)]
async fn a_token_cancelled_by_sync_work_after_a_wait_stops_the_dataflow_loop() {
    // x -> wait (async, pending once) -> step -> step -> step: the steps run
    // in the dataflow loop; the first one cancels.
    let calls = Arc::new(AtomicUsize::new(0));
    let token = Arc::new(std::sync::Mutex::new(CancellationToken::new()));
    let mut reg = Registry::new();
    reg.register(sleeper("wait", 1));
    reg.register(cancelling_step(calls.clone(), token.clone(), 1));
    let mut b = DagBuilder::seeded("after-wait", 6);
    let x = b.input("x", CType::Int);
    let w = b.module("wait");
    b.bind(x, w, "v");
    let mut prev = b.produce(w, "out", "w", CType::Int);
    for i in 0..3 {
        let m = b.module("step");
        b.bind(prev, m, "v");
        prev = b.produce(m, "out", format!("s{i}"), CType::Int);
    }
    b.output("end", prev);
    let program = Program::load(&b.build(), &reg, &RuntimeConfig::default()).unwrap();
    let x = program.input("x").unwrap();
    let options = RunOptions::with_cancel(token.lock().unwrap().clone());
    let r = program
        .run_with([(x, CValue::Int(0))], &options)
        .await
        .unwrap();
    assert!(r.is_cancelled());
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    assert_eq!(phases(&r), (2, 2), "wait and one step completed");
}

#[tokio::test]
async fn a_token_cancelled_by_the_last_node_leaves_a_finished_run_successful() {
    let calls = Arc::new(AtomicUsize::new(0));
    let token = Arc::new(std::sync::Mutex::new(CancellationToken::new()));
    let (program, x) = chain_of("step", 3, cancelling_step(calls.clone(), token.clone(), 3));
    let options = RunOptions::with_cancel(token.lock().unwrap().clone());
    let r = program
        .run_with([(x, CValue::Int(0))], &options)
        .await
        .unwrap();
    assert!(r.is_success(), "every node ran: {:?}", r.abort());
    assert_eq!(r.output_named("end"), Some(&CValue::Int(3)));
    drop(r);
    let m = program.metrics();
    assert_eq!((m.executions_succeeded, m.executions_aborted), (1, 0));
}

#[tokio::test(start_paused = true)]
async fn huge_timeouts_and_deadlines_mean_no_limit_not_a_panic() {
    // Instant + Duration::MAX overflows; such limits must simply never fire.
    for config in [
        RuntimeConfig::default(),
        RuntimeConfig::default().reference(),
    ] {
        let nap = sleeper("nap", 1).with_timeout(Duration::MAX);
        let (program, x) = chain_of_with("nap", 1, nap, &config);
        let r = program
            .run_with(
                [(x, CValue::Int(4))],
                &RunOptions::with_timeout(Duration::MAX),
            )
            .await
            .unwrap();
        assert!(r.is_success(), "{:?}", r.problems());
        assert_eq!(r.output_named("end"), Some(&CValue::Int(4)));
    }
}

#[test]
fn run_sync_with_stops_a_sync_pass_between_nodes_without_a_runtime() {
    // The same checks as run_with, on the calling thread: a token cancelled
    // mid-pass, a deadline passed during slow sync work, and either given
    // before the start; in both executors.
    for config in [
        RuntimeConfig::default(),
        RuntimeConfig::default().reference(),
    ] {
        let calls = Arc::new(AtomicUsize::new(0));
        let token = Arc::new(std::sync::Mutex::new(CancellationToken::new()));
        let step = cancelling_step(calls.clone(), token.clone(), 2);
        let (program, x) = chain_of_with("step", 4, step, &config);

        let options = RunOptions::with_cancel(token.lock().unwrap().clone());
        let r = program
            .run_sync_with([(x, CValue::Int(0))], &options)
            .unwrap();
        assert!(r.is_cancelled());
        assert_eq!(
            calls.load(Ordering::SeqCst),
            2,
            "no node ran after the cancel"
        );
        assert_eq!(phases(&r), (2, 2));
        drop(r);

        let cancelled = CancellationToken::new();
        cancelled.cancel();
        let r = program
            .run_sync_with([(x, CValue::Int(0))], &RunOptions::with_cancel(cancelled))
            .unwrap();
        assert!(r.is_cancelled());
        assert_eq!(phases(&r), (0, 4));
        drop(r);

        // No options: the whole run.
        let r = program
            .run_sync_with([(x, CValue::Int(0))], &RunOptions::default())
            .unwrap();
        assert!(r.is_success(), "{:?}", r.problems());
        assert_eq!(r.output_named("end"), Some(&CValue::Int(4)));
    }
}

#[test]
fn run_sync_with_stops_at_a_deadline_passed_during_sync_work() {
    let calls = Arc::new(AtomicUsize::new(0));
    let seen = calls.clone();
    let slow = Module::sync("slow", ["v"], "out", move |v: i64| {
        seen.fetch_add(1, Ordering::SeqCst);
        std::thread::sleep(Duration::from_millis(3));
        v + 1
    });
    let (program, x) = chain_of("slow", 4, slow);
    let r = program
        .run_sync_with(
            [(x, CValue::Int(0))],
            &RunOptions::with_timeout(Duration::from_millis(1)),
        )
        .unwrap();
    assert!(r.deadline_exceeded());
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    assert_eq!(phases(&r), (1, 3));
}

#[test]
fn run_sync_with_refuses_a_program_with_async_modules() {
    let (program, x) = chain_of("nap", 1, sleeper("nap", 1));
    let err = program
        .run_sync_with([(x, CValue::Int(0))], &RunOptions::default())
        .unwrap_err();
    assert!(err.to_string().contains("async"), "{err}");
}

#[test]
fn the_total_latency_covers_every_modules_latency() {
    // Each module sleeps, so its latency is at least NAP (the sleep is the
    // workload measured, not synchronisation).
    const NAP: Duration = Duration::from_millis(2);
    let napper = Module::sync("nap", ["v"], "out", |v: i64| {
        std::thread::sleep(NAP);
        v + 1
    });
    // Both runs record their latencies (the default samples one in 64).
    let (program, x) = chain_of_with(
        "nap",
        3,
        napper,
        &RuntimeConfig::default().with_latency_every_execution(),
    );
    let token = CancellationToken::new();
    for run in 0..2 {
        let r = if run == 0 {
            program.run_sync([(x, CValue::Int(0))]).unwrap()
        } else {
            let options = RunOptions::with_cancel(token.clone());
            program
                .run_sync_with([(x, CValue::Int(0))], &options)
                .unwrap()
        };
        assert_eq!(r.output_named("end"), Some(&CValue::Int(3)));
        let latencies: Vec<Duration> = (0..3)
            .map(|m| r.module_latency(asterism::ModuleIx(m)).expect("recorded"))
            .collect();
        for l in &latencies {
            assert!(
                *l >= NAP,
                "run {run}: {l:?} is shorter than the body's {NAP:?}"
            );
        }
        let sum: Duration = latencies.iter().sum();
        assert!(
            r.total_latency() >= sum,
            "run {run}: total {:?} < the modules' {sum:?}",
            r.total_latency()
        );
    }
}

#[test]
fn outputs_nobody_reads_are_dropped_and_the_state_is_reused() {
    // Two typed modules whose outputs no node reads (no data node at all):
    // each value is built and dropped; the run goes on, pooled runs too.
    let mut reg = Registry::new();
    reg.register(Module::sync("shout", ["v"], "out", |v: i64| {
        format!("value {v}")
    }));
    reg.register(Module::sync("inc", ["v"], "out", |v: i64| v + 1));
    let mut b = DagBuilder::seeded("unread", 5);
    let x = b.input("x", CType::Int);
    let first = b.module("shout");
    b.bind(x, first, "v");
    let second = b.module("shout");
    b.bind(x, second, "v");
    let inc = b.module("inc");
    b.bind(x, inc, "v");
    let end = b.produce(inc, "out", "end", CType::Int);
    b.output("end", end);
    let program = Program::load(&b.build(), &reg, &RuntimeConfig::default()).unwrap();
    let xi = program.input("x").unwrap();
    for v in 0..3 {
        let r = program.run_sync([(xi, CValue::Int(v))]).unwrap();
        assert!(r.is_success(), "{:?}", r.problems());
        assert_eq!(r.output_named("end"), Some(&CValue::Int(v + 1)));
        let completed = (0..3)
            .filter(|&n| r.phase(asterism::NodeIx(n)) == Phase::Completed)
            .count();
        assert_eq!(completed, 3);
    }
    assert!(
        program.metrics().pool.hits >= 2,
        "pooled states were reused"
    );
}

#[tokio::test]
async fn async_outputs_nobody_reads_are_dropped_ready_or_pending() {
    // Typed async modules whose outputs no node reads: one ready at once,
    // one that waits first (so it finishes from the in-flight list). Each
    // value goes to the sink and is dropped; the run and reruns succeed.
    let mut reg = Registry::new();
    reg.register(Module::asynchronous(
        "ready",
        ["v"],
        "out",
        |v: i64| async move { format!("ready {v}") },
    ));
    reg.register(Module::asynchronous(
        "later",
        ["v"],
        "out",
        |v: i64| async move {
            tokio::task::yield_now().await;
            format!("later {v}")
        },
    ));
    reg.register(Module::asynchronous(
        "inc",
        ["v"],
        "out",
        |v: i64| async move { v + 1 },
    ));
    let mut b = DagBuilder::seeded("unread-async", 6);
    let x = b.input("x", CType::Int);
    for name in ["ready", "later", "ready", "later"] {
        let m = b.module(name);
        b.bind(x, m, "v");
    }
    let inc = b.module("inc");
    b.bind(x, inc, "v");
    let end = b.produce(inc, "out", "end", CType::Int);
    b.output("end", end);
    let program = Program::load(&b.build(), &reg, &RuntimeConfig::default()).unwrap();
    let xi = program.input("x").unwrap();
    for v in 0..3 {
        let r = program.run([(xi, CValue::Int(v))]).await.unwrap();
        assert!(r.is_success(), "{:?}", r.problems());
        assert_eq!(r.output_named("end"), Some(&CValue::Int(v + 1)));
        let completed = (0..5)
            .filter(|&n| r.phase(asterism::NodeIx(n)) == Phase::Completed)
            .count();
        assert_eq!(completed, 5);
    }
}

/// Finishes on its second poll; panics when dropped after that.
struct FinishesThenPanicsWhenDropped(bool);

impl std::future::Future for FinishesThenPanicsWhenDropped {
    type Output = String;
    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<String> {
        if self.0 {
            return std::task::Poll::Ready("done".to_string());
        }
        self.0 = true;
        cx.waker().wake_by_ref();
        std::task::Poll::Pending
    }
}

impl Drop for FinishesThenPanicsWhenDropped {
    fn drop(&mut self) {
        if self.0 && !std::thread::panicking() {
            panic!("dropped after finishing");
        }
    }
}

#[tokio::test]
async fn a_finished_future_that_panics_in_drop_leaves_the_sink_empty() {
    // A typed async module whose output nobody reads finishes from the
    // in-flight list (its value goes to the sink) and then panics while
    // dropped: its node fails, and the sink is still emptied, so two later
    // modules with unread outputs, finishing a poll after it, write it and
    // complete.
    let mut reg = Registry::new();
    reg.register(Module::asynchronous("bomb", ["v"], "out", |_v: i64| {
        FinishesThenPanicsWhenDropped(false)
    }));
    reg.register(Module::asynchronous(
        "later",
        ["v"],
        "out",
        |v: i64| async move {
            tokio::task::yield_now().await;
            tokio::task::yield_now().await;
            format!("later {v}")
        },
    ));
    let mut b = DagBuilder::seeded("sink-after-drop-panic", 8);
    let x = b.input("x", CType::Int);
    let bomb = b.module("bomb");
    b.bind(x, bomb, "v");
    for _ in 0..2 {
        let m = b.module("later");
        b.bind(x, m, "v");
    }
    let config = RuntimeConfig::default().with_pool_size(1);
    let program = Program::load(&b.build(), &reg, &config).unwrap();
    let xi = program.input("x").unwrap();
    for v in 0..3 {
        let r = program.run([(xi, CValue::Int(v))]).await.unwrap();
        for n in 0..3 {
            let phase = r.phase(asterism::NodeIx(n));
            if r.plan().node_name(asterism::NodeIx(n)) == "bomb" {
                assert_eq!(phase, Phase::Failed, "run {v}");
            } else {
                assert_eq!(phase, Phase::Completed, "run {v}: {:?}", r.problems());
            }
        }
    }
    assert_eq!(program.metrics().pool.misses, 0);
}
