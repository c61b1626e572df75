//! The run-time half of the trust boundary (issue #14): a module's inputs
//! are always of their declared types, whatever path a value came in by.
//! Values given through the API (or read from tagged JSON) are checked all
//! the way down before anything runs; a module's output is checked all the
//! way down before any other module reads it.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use asterism_compiler::{CType, CValue, DagBuilder, ModuleSignature};
use asterism_runtime::{InputError, Module, Program, Registry, RuntimeConfig};

/// `xs: List<Int>` -> `t.sum` (counting its calls) -> `total`.
fn summing(calls: &Arc<AtomicUsize>) -> Program {
    let mut registry = Registry::with_stdlib();
    let c = Arc::clone(calls);
    registry.register(Module::sync("t.sum", ["xs"], "out", move |xs: Vec<i64>| {
        c.fetch_add(1, Ordering::SeqCst);
        xs.iter().sum::<i64>()
    }));
    let mut b = DagBuilder::seeded("list", 1);
    let xs = b.input("xs", CType::list(CType::Int));
    let m = b.module("t.sum");
    b.bind(xs, m, "xs");
    let out = b.produce(m, "out", "total", CType::Int);
    b.output("total", out);
    Program::load(&b.build(), &registry, &RuntimeConfig::default()).unwrap()
}

fn the_one_input_error(program: &Program, value: CValue) -> InputError {
    let xs = program.input("xs").unwrap();
    let err = program
        .run_sync([(xs, value)])
        .expect_err("the input must be refused");
    assert!(err.is_invalid_input(), "{err}");
    let errors = err.input_errors();
    assert_eq!(errors.len(), 1, "{errors:?}");
    errors[0].clone()
}

#[test]
fn an_api_list_carrying_its_type_but_holding_another_is_refused_with_a_path() {
    let calls = Arc::new(AtomicUsize::new(0));
    let program = summing(&calls);
    let bad = CValue::list(vec![CValue::String("a".into()), CValue::Int(5)], CType::Int);
    let err = the_one_input_error(&program, bad);
    assert_eq!(
        err.to_string(),
        "input `xs` is not a valid List<Int>: xs[0]: expected Int, found String"
    );
    assert!(matches!(err, InputError::NotOfItsType { .. }));
    assert_eq!(calls.load(Ordering::SeqCst), 0, "nothing ran");
    // The pooled state is clean: a good call runs.
    let xs = program.input("xs").unwrap();
    let good = CValue::list(vec![CValue::Int(2), CValue::Int(5)], CType::Int);
    let result = program.run_sync([(xs, good)]).unwrap();
    assert_eq!(result.output_named("total"), Some(&CValue::Int(7)));
}

#[test]
fn a_tagged_json_value_inconsistent_inside_is_refused() {
    let calls = Arc::new(AtomicUsize::new(0));
    let program = summing(&calls);
    let tagged: CValue = serde_json::from_str(
        r#"{"tag":"CList","subtype":{"tag":"CInt"},"value":[{"tag":"CInt","value":1},{"tag":"CFloat","value":2.5}]}"#,
    )
    .unwrap();
    let err = the_one_input_error(&program, tagged);
    assert!(
        err.to_string().contains("xs[1]: expected Int, found Float"),
        "{err}"
    );
    assert_eq!(calls.load(Ordering::SeqCst), 0);
}

#[test]
fn a_module_output_holding_the_wrong_element_fails_its_node_and_nothing_reads_it() {
    let calls = Arc::new(AtomicUsize::new(0));
    let mut registry = Registry::with_stdlib();
    registry.register(Module::raw_sync(
        ModuleSignature::new(
            "t.liar",
            [("n", CType::Int)],
            [("out", CType::list(CType::Int))],
        ),
        |_inputs, outputs| {
            outputs.set(
                0,
                CValue::list(vec![CValue::Int(1), CValue::String("x".into())], CType::Int),
            )
        },
    ));
    let c = Arc::clone(&calls);
    registry.register(Module::sync("t.sum", ["xs"], "out", move |xs: Vec<i64>| {
        c.fetch_add(1, Ordering::SeqCst);
        xs.iter().sum::<i64>()
    }));
    let mut b = DagBuilder::seeded("liar", 2);
    let n = b.input("n", CType::Int);
    let liar = b.module("t.liar");
    b.bind(n, liar, "n");
    let xs = b.produce(liar, "out", "xs", CType::list(CType::Int));
    let sum = b.module("t.sum");
    b.bind(xs, sum, "xs");
    let total = b.produce(sum, "out", "total", CType::Int);
    b.output("total", total);
    let program = Program::load(&b.build(), &registry, &RuntimeConfig::default()).unwrap();
    let n = program.input("n").unwrap();
    let result = program.run_sync([(n, CValue::Int(1))]).unwrap();
    assert_eq!(result.failed_count(), 1);
    assert_eq!(result.skipped_count(), 1);
    assert_eq!(
        calls.load(Ordering::SeqCst),
        0,
        "t.sum never saw the bad list"
    );
    let problems = result.problems().join("\n");
    assert!(
        problems.contains("out[1]: expected Int, found String"),
        "{problems}"
    );
}

#[test]
fn a_pool_size_of_usize_max_loads_and_runs() {
    let calls = Arc::new(AtomicUsize::new(0));
    let mut registry = Registry::with_stdlib();
    let c = Arc::clone(&calls);
    registry.register(Module::sync("t.sum", ["xs"], "out", move |xs: Vec<i64>| {
        c.fetch_add(1, Ordering::SeqCst);
        xs.iter().sum::<i64>()
    }));
    let mut b = DagBuilder::seeded("list", 1);
    let xs = b.input("xs", CType::list(CType::Int));
    let m = b.module("t.sum");
    b.bind(xs, m, "xs");
    let out = b.produce(m, "out", "total", CType::Int);
    b.output("total", out);
    let mut config = RuntimeConfig::default().with_pool_size(usize::MAX);
    config.state.initial_capacity = usize::MAX;
    let program = Program::load(&b.build(), &registry, &config).expect("loads");
    assert_eq!(program.pool().capacity(), asterism_runtime::MAX_POOL_SIZE);
    assert_eq!(
        program.pool().stats().prewarmed,
        asterism_runtime::MAX_INITIAL_CAPACITY as u64
    );
    let xs = program.input("xs").unwrap();
    let result = program
        .run_sync([(xs, CValue::list(vec![CValue::Int(3)], CType::Int))])
        .unwrap();
    assert_eq!(result.output_named("total"), Some(&CValue::Int(3)));
}

// ---------------------------------------------------------------------------
// Timeouts: one rule for sync and async modules, and every run ends.
// ---------------------------------------------------------------------------

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use asterism_compiler::ModuleIx;
use asterism_runtime::{FailureKind, Limit, NodeStatus};

/// `x: Int` -> `module` -> `y`.
fn one_module(module: Module, config: &RuntimeConfig) -> Program {
    let name = module.name().to_owned();
    let mut registry = Registry::new();
    registry.register(module);
    let mut b = DagBuilder::seeded("one", 3);
    let x = b.input("x", CType::Int);
    let m = b.module(&name);
    b.bind(x, m, "x");
    let y = b.produce(m, "out", "y", CType::Int);
    b.output("y", y);
    Program::load(&b.build(), &registry, config).unwrap()
}

/// A future that blocks the thread for `nap` in its first poll and is then
/// ready with `x + 1`: its poll overruns, it never yields.
struct BlocksThenReady {
    nap: Duration,
    x: i64,
}

impl Future for BlocksThenReady {
    type Output = i64;
    fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<i64> {
        std::thread::sleep(self.nap);
        Poll::Ready(self.x + 1)
    }
}

const NAP: Duration = Duration::from_millis(50);
const LIMIT: Duration = Duration::from_millis(5);

/// The status of the one module after a run of `program` on the current
/// thread's real clock.
fn status_after_run(program: &Program) -> NodeStatus {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    rt.block_on(async {
        let x = program.input("x").unwrap();
        let r = program.run([(x, CValue::Int(1))]).await.unwrap();
        r.status(r.plan().module_node(ModuleIx(0)))
    })
}

fn assert_timed_out(status: NodeStatus, what: &str) {
    match status {
        NodeStatus::TimedOut(f) => {
            assert_eq!(f.kind, FailureKind::Timeout, "{what}");
            assert!(f.message.contains("after 5 ms"), "{what}: {}", f.message);
        }
        other => panic!("{what}: expected TimedOut, got {other:?}"),
    }
}

#[test]
fn a_first_poll_that_overruns_its_timeout_times_out_like_a_sync_body() {
    let configs = [
        RuntimeConfig::default(),
        RuntimeConfig::default().without_latency(),
        RuntimeConfig::default().with_latency_sampled(std::num::NonZeroU32::new(64).unwrap()),
        RuntimeConfig::default().reference(),
    ];
    for (i, config) in configs.iter().enumerate() {
        let typed = Module::asynchronous("t.typed", ["x"], "out", |x: i64| BlocksThenReady {
            nap: NAP,
            x,
        })
        .with_timeout(LIMIT);
        assert_timed_out(
            status_after_run(&one_module(typed, config)),
            &format!("typed async, config {i}"),
        );

        let raw = Module::raw_async(
            ModuleSignature::new("t.raw", [("x", CType::Int)], [("out", CType::Int)]),
            |inputs| {
                let x = inputs.int(0);
                Box::pin(async move {
                    let y = BlocksThenReady { nap: NAP, x: x? }.await;
                    Ok(asterism_runtime::ModuleOutput::One(CValue::Int(y)))
                })
            },
        )
        .with_timeout(LIMIT);
        assert_timed_out(
            status_after_run(&one_module(raw, config)),
            &format!("raw async, config {i}"),
        );

        let sync = Module::sync("t.sync", ["x"], "out", |x: i64| {
            std::thread::sleep(NAP);
            x + 1
        })
        .with_timeout(LIMIT);
        assert_timed_out(
            status_after_run(&one_module(sync, config)),
            &format!("sync, config {i}"),
        );
    }
}

#[test]
fn a_timeout_of_zero_times_out_sync_and_async_modules_alike() {
    for config in [
        RuntimeConfig::default(),
        RuntimeConfig::default().reference(),
    ] {
        let sync =
            Module::sync("t.sync", ["x"], "out", |x: i64| x + 1).with_timeout(Duration::ZERO);
        let asynchronous =
            Module::asynchronous("t.async", ["x"], "out", |x: i64| async move { x + 1 })
                .with_timeout(Duration::ZERO);
        for module in [sync, asynchronous] {
            let program = one_module(module, &config);
            match status_after_run(&program) {
                NodeStatus::TimedOut(f) => assert_eq!(f.kind, FailureKind::Timeout),
                other => panic!("expected TimedOut, got {other:?}"),
            }
        }
    }
}

#[tokio::test(start_paused = true)]
async fn a_future_that_never_completes_ends_under_the_default_config() {
    let forever = || {
        Module::asynchronous("t.forever", ["x"], "out", |_x: i64| {
            std::future::pending::<i64>()
        })
    };
    for config in [
        RuntimeConfig::default(),
        RuntimeConfig::default().reference(),
    ] {
        let program = one_module(forever(), &config);
        let x = program.input("x").unwrap();
        let started = tokio::time::Instant::now();
        let r = program.run([(x, CValue::Int(1))]).await.unwrap();
        match r.status(r.plan().module_node(ModuleIx(0))) {
            NodeStatus::TimedOut(f) => assert!(f.message.contains("30000 ms"), "{}", f.message),
            other => panic!("expected TimedOut, got {other:?}"),
        }
        assert_eq!(
            started.elapsed(),
            Duration::from_millis(asterism_runtime::DEFAULT_MAX_PENDING_MS)
        );
    }
    // Configured shorter, it ends sooner; a module's own timeout wins.
    let config = RuntimeConfig::default().with_max_pending(Limit::Millis(7));
    let program = one_module(forever(), &config);
    let x = program.input("x").unwrap();
    let started = tokio::time::Instant::now();
    let r = program.run([(x, CValue::Int(1))]).await.unwrap();
    assert!(matches!(
        r.status(r.plan().module_node(ModuleIx(0))),
        NodeStatus::TimedOut(_)
    ));
    assert_eq!(started.elapsed(), Duration::from_millis(7));
    drop(r);
    let program = one_module(forever().with_timeout(Duration::from_millis(3)), &config);
    let x = program.input("x").unwrap();
    let started = tokio::time::Instant::now();
    let r = program.run([(x, CValue::Int(1))]).await.unwrap();
    assert!(matches!(
        r.status(r.plan().module_node(ModuleIx(0))),
        NodeStatus::TimedOut(_)
    ));
    assert_eq!(started.elapsed(), Duration::from_millis(3));
}

#[tokio::test(start_paused = true)]
async fn with_max_pending_none_a_slow_future_is_waited_for() {
    let slow = Module::asynchronous("t.slow", ["x"], "out", |x: i64| async move {
        tokio::time::sleep(Duration::from_secs(3600)).await;
        x + 1
    });
    let config = RuntimeConfig::default().with_max_pending(Limit::None);
    let program = one_module(slow, &config);
    let x = program.input("x").unwrap();
    let r = program.run([(x, CValue::Int(1))]).await.unwrap();
    assert!(r.is_success(), "{:?}", r.problems());
    assert_eq!(r.output_named("y"), Some(&CValue::Int(2)));
}
