//! Module call options through `Program`: retry with backoff, timeout per
//! attempt, fallback, `onError` (skip, wrap), cache across executions,
//! concurrency across executions, deadlines, and where options come from
//! (the builder, the DagSpec JSON extension, the runtime config). Time is
//! tokio's paused clock (or, for `run_sync`, no waits at all).

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use asterism::compiler::{wrapped_type, ModuleCallOptions};
use asterism::runtime::options::CallFailure;
use asterism::runtime::{BindError, LoadError, NodeStatus};
use asterism::{
    CType, CValue, DagBuilder, DagSpec, Module, ModuleError, ModuleIx, Program, Registry,
    RunOptions, RuntimeConfig,
};
use tokio::time::Instant;

/// A sync module failing its first `failures` calls, then doubling.
fn flaky_sync(failures: u32) -> (Module, Arc<AtomicU32>) {
    let calls = Arc::new(AtomicU32::new(0));
    let c = calls.clone();
    let m = Module::sync("svc.flaky", ["v"], "out", move |v: i64| {
        if c.fetch_add(1, Ordering::SeqCst) < failures {
            Err(ModuleError::new("service unavailable"))
        } else {
            Ok(v * 2)
        }
    });
    (m, calls)
}

/// An async module failing its first `failures` calls after `ms` each.
fn flaky_async(failures: u32, ms: u64) -> (Module, Arc<AtomicU32>) {
    let calls = Arc::new(AtomicU32::new(0));
    let c = calls.clone();
    let m = Module::asynchronous("svc.flaky", ["v"], "out", move |v: i64| {
        let n = c.fetch_add(1, Ordering::SeqCst);
        async move {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            if n < failures {
                Err(ModuleError::new("service unavailable"))
            } else {
                Ok(v * 2)
            }
        }
    });
    (m, calls)
}

/// `x -> svc.flaky -> out`, with `options` (and `out_type` for the output
/// node) plus an input `fb` for fallbacks.
fn one_module(module: Module, options: ModuleCallOptions, out_type: CType) -> Program {
    let mut reg = Registry::new();
    reg.register(module);
    let mut b = DagBuilder::seeded("opts", 7);
    let x = b.input("x", CType::Int);
    let fb = b.input("fb", CType::Int);
    let m = b.module("svc.flaky");
    b.bind(x, m, "v");
    let out = b.produce(m, "out", "out", out_type);
    b.output("out", out);
    let mut options = options;
    if options.fallback == Some(uuid::Uuid::nil()) {
        options.fallback = Some(
            b.build()
                .data
                .iter()
                .find(|(_, d)| d.name == "fb")
                .map(|(u, _)| *u)
                .unwrap(),
        );
    } else {
        // Keep `fb` used so the spec compiles.
        b.output("fb", fb);
    }
    b.options(m, options);
    Program::load(&b.build(), &reg, &RuntimeConfig::default()).expect("loads")
}

fn run_sync(p: &Program, x: i64) -> asterism::ExecutionResult<'_> {
    let (xi, fbi) = (p.input("x").unwrap(), p.input("fb").unwrap());
    p.run_sync([(xi, CValue::Int(x)), (fbi, CValue::Int(-1))])
        .unwrap()
}

fn out(r: &asterism::ExecutionResult<'_>) -> Option<CValue> {
    r.output_named("out").cloned()
}

#[test]
fn retry_recovers_in_run_sync_and_the_result_says_how() {
    let (m, calls) = flaky_sync(2);
    let p = one_module(
        m,
        ModuleCallOptions {
            retry: Some(3),
            ..Default::default()
        },
        CType::Int,
    );
    let r = run_sync(&p, 21);
    assert_eq!(out(&r), Some(CValue::Int(42)));
    let o = r.call_outcome(ModuleIx(0)).unwrap();
    assert_eq!(o.attempts, 3);
    assert!(!o.from_cache && !o.from_fallback);
    assert_eq!(
        o.last_error,
        Some(CallFailure::Error(ModuleError::new("service unavailable")))
    );
    assert_eq!(calls.load(Ordering::SeqCst), 3);
    let metrics = p.option_metrics();
    assert_eq!(
        (metrics[0].counts.attempts, metrics[0].counts.retries),
        (3, 2)
    );
    // Retries exhausted: the node fails with the last error.
    drop(r);
    let (m, _) = flaky_sync(5);
    let p = one_module(
        m,
        ModuleCallOptions {
            retry: Some(1),
            ..Default::default()
        },
        CType::Int,
    );
    let r = run_sync(&p, 1);
    assert!(
        matches!(r.status(p.plan().module_node(ModuleIx(0))), NodeStatus::Failed(f) if f.message == "service unavailable")
    );
    assert_eq!(r.call_outcome(ModuleIx(0)).unwrap().attempts, 2);
}

#[tokio::test(start_paused = true)]
async fn async_retry_waits_the_backoff_schedule() {
    let (m, calls) = flaky_async(3, 10);
    let p = one_module(
        m,
        ModuleCallOptions {
            retry: Some(3),
            delay_ms: Some(100),
            backoff: Some("exponential".into()),
            ..Default::default()
        },
        CType::Int,
    );
    let (xi, fbi) = (p.input("x").unwrap(), p.input("fb").unwrap());
    let t0 = Instant::now();
    let r = p
        .run([(xi, CValue::Int(4)), (fbi, CValue::Int(0))])
        .await
        .unwrap();
    // Four 10 ms attempts and waits of 100, 200 and 400 ms between them.
    assert_eq!(Instant::now() - t0, Duration::from_millis(40 + 700));
    assert_eq!(out(&r), Some(CValue::Int(8)));
    assert_eq!(r.call_outcome(ModuleIx(0)).unwrap().attempts, 4);
    assert_eq!(calls.load(Ordering::SeqCst), 4);
}

#[tokio::test(start_paused = true)]
async fn the_modules_own_timeout_bounds_each_attempt_and_the_deadline_the_call() {
    // Each attempt hangs for 1 s against a 50 ms timeout (timeoutMs).
    let (m, calls) = flaky_async(0, 1000);
    let p = one_module(
        m,
        ModuleCallOptions {
            retry: Some(2),
            timeout_ms: Some(50),
            delay_ms: Some(10),
            ..Default::default()
        },
        CType::Int,
    );
    let (xi, fbi) = (p.input("x").unwrap(), p.input("fb").unwrap());
    let t0 = Instant::now();
    let r = p
        .run([(xi, CValue::Int(4)), (fbi, CValue::Int(0))])
        .await
        .unwrap();
    assert_eq!(Instant::now() - t0, Duration::from_millis(3 * 50 + 2 * 10));
    assert!(matches!(
        r.status(p.plan().module_node(ModuleIx(0))),
        NodeStatus::TimedOut(_)
    ));
    assert_eq!(calls.load(Ordering::SeqCst), 3);

    // The run's deadline cuts the backoff: no third attempt starts.
    let (m, calls) = flaky_async(10, 10);
    let p = one_module(
        m,
        ModuleCallOptions {
            retry: Some(5),
            delay_ms: Some(1000),
            ..Default::default()
        },
        CType::Int,
    );
    let (xi, fbi) = (p.input("x").unwrap(), p.input("fb").unwrap());
    let t0 = Instant::now();
    let r = p
        .run_with(
            [(xi, CValue::Int(4)), (fbi, CValue::Int(0))],
            &RunOptions::with_timeout(Duration::from_millis(1500)),
        )
        .await
        .unwrap();
    assert!(r.deadline_exceeded());
    assert_eq!(Instant::now() - t0, Duration::from_millis(1500));
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

#[test]
fn run_sync_with_a_past_deadline_starts_no_attempt() {
    let (m, calls) = flaky_sync(0);
    let p = one_module(
        m,
        ModuleCallOptions {
            retry: Some(2),
            ..Default::default()
        },
        CType::Int,
    );
    let (xi, fbi) = (p.input("x").unwrap(), p.input("fb").unwrap());
    let token = asterism::CancellationToken::new();
    token.cancel();
    let r = p
        .run_sync_with(
            [(xi, CValue::Int(4)), (fbi, CValue::Int(0))],
            &RunOptions::with_cancel(token),
        )
        .unwrap();
    assert!(r.is_cancelled());
    assert_eq!(calls.load(Ordering::SeqCst), 0);
}

#[test]
fn run_sync_with_ends_a_backoff_wait_on_cancellation() {
    // The module cancels the run's token from inside its first (failing)
    // call: the backoff wait after it ends at once, no retry starts, and
    // the run reports the cancellation.
    let token = asterism::CancellationToken::new();
    let calls = Arc::new(AtomicU32::new(0));
    let (t, c) = (token.clone(), calls.clone());
    let m = Module::sync(
        "svc.flaky",
        ["v"],
        "out",
        move |_: i64| -> Result<i64, ModuleError> {
            c.fetch_add(1, Ordering::SeqCst);
            t.cancel();
            Err(ModuleError::new("down"))
        },
    );
    let p = one_module(
        m,
        ModuleCallOptions {
            retry: Some(3),
            delay_ms: Some(3_600_000),
            ..Default::default()
        },
        CType::Int,
    );
    let (xi, fbi) = (p.input("x").unwrap(), p.input("fb").unwrap());
    let r = p
        .run_sync_with(
            [(xi, CValue::Int(4)), (fbi, CValue::Int(0))],
            &RunOptions::with_cancel(token),
        )
        .unwrap();
    assert!(r.is_cancelled());
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    assert_eq!(r.call_outcome(ModuleIx(0)).unwrap().attempts, 1);
    assert!(matches!(
        r.status(p.plan().module_node(ModuleIx(0))),
        NodeStatus::Cancelled
    ));
}

#[test]
fn fallback_skip_and_wrap() {
    // Fallback: the input `fb` replaces the output.
    let (m, _) = flaky_sync(10);
    let p = one_module(
        m,
        ModuleCallOptions {
            retry: Some(1),
            fallback: Some(uuid::Uuid::nil()),
            ..Default::default()
        },
        CType::Int,
    );
    let r = run_sync(&p, 3);
    assert!(r.is_success());
    assert_eq!(out(&r), Some(CValue::Int(-1)));
    let o = r.call_outcome(ModuleIx(0)).unwrap();
    assert!(o.from_fallback);
    assert_eq!(o.attempts, 2);
    assert_eq!(p.option_metrics()[0].counts.fallbacks_used, 1);

    // Skip: the zero value of the type, and the run succeeds.
    let (m, _) = flaky_sync(10);
    let opt = CType::optional(CType::Int);
    let skipping = Module::sync(
        "svc.flaky",
        ["v"],
        "out",
        move |_: i64| -> Result<Option<i64>, ModuleError> { Err(ModuleError::new("down")) },
    );
    drop(m);
    let p = one_module(
        skipping,
        ModuleCallOptions {
            on_error: Some("skip".into()),
            ..Default::default()
        },
        opt.clone(),
    );
    let r = run_sync(&p, 3);
    assert!(r.is_success());
    assert_eq!(
        out(&r),
        Some(CValue::none(CType::Int)),
        "a missing value to coalesce"
    );

    // Wrap: the consumer gets {value | error}.
    let (m, _) = flaky_sync(1);
    let p = one_module(
        m,
        ModuleCallOptions {
            on_error: Some("wrap".into()),
            ..Default::default()
        },
        wrapped_type(&CType::Int),
    );
    let r = run_sync(&p, 5);
    assert!(r.is_success());
    assert!(
        matches!(out(&r), Some(CValue::Union(v, _, tag)) if &*tag == "error" && *v == CValue::from("service unavailable"))
    );
    drop(r);
    let r = run_sync(&p, 5);
    assert!(
        matches!(out(&r), Some(CValue::Union(v, _, tag)) if &*tag == "value" && *v == CValue::Int(10))
    );
}

#[test]
fn cache_serves_later_executions_from_memory() {
    let (m, calls) = flaky_sync(0);
    let p = one_module(
        m,
        ModuleCallOptions {
            cache_ms: Some(60_000),
            ..Default::default()
        },
        CType::Int,
    );
    for _ in 0..5 {
        let r = run_sync(&p, 7);
        assert_eq!(out(&r), Some(CValue::Int(14)));
    }
    let r = run_sync(&p, 8);
    assert!(!r.call_outcome(ModuleIx(0)).unwrap().from_cache);
    drop(r);
    let r = run_sync(&p, 7);
    assert!(r.call_outcome(ModuleIx(0)).unwrap().from_cache);
    assert_eq!(
        calls.load(Ordering::SeqCst),
        2,
        "one call per distinct input"
    );
    let c = p.option_metrics()[0].counts;
    assert_eq!((c.cache_hits, c.cache_misses), (5, 2));
}

#[tokio::test(start_paused = true)]
async fn concurrency_two_across_fifty_executions() {
    let in_flight = Arc::new(AtomicU32::new(0));
    let most = Arc::new(AtomicU32::new(0));
    let (f, mo) = (in_flight.clone(), most.clone());
    let m = Module::asynchronous("svc.flaky", ["v"], "out", move |v: i64| {
        let (f, mo) = (f.clone(), mo.clone());
        async move {
            let now = f.fetch_add(1, Ordering::SeqCst) + 1;
            mo.fetch_max(now, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(5)).await;
            f.fetch_sub(1, Ordering::SeqCst);
            v
        }
    });
    let p = one_module(
        m,
        ModuleCallOptions {
            concurrency: Some(2),
            ..Default::default()
        },
        CType::Int,
    );
    let mut runs = Vec::new();
    for i in 0..50 {
        let p = p.clone();
        runs.push(tokio::spawn(async move {
            let (xi, fbi) = (p.input("x").unwrap(), p.input("fb").unwrap());
            let r = p
                .run([(xi, CValue::Int(i)), (fbi, CValue::Int(0))])
                .await
                .unwrap();
            r.output_named("out").cloned()
        }));
    }
    for (i, r) in runs.into_iter().enumerate() {
        assert_eq!(r.await.unwrap(), Some(CValue::Int(i as i64)));
    }
    assert_eq!(most.load(Ordering::SeqCst), 2);
    assert_eq!(p.option_metrics()[0].counts.permit_waits, 48);
}

#[test]
fn options_from_the_spec_json_and_the_config_and_their_errors() {
    let (m, calls) = flaky_sync(2);
    let mut reg = Registry::new();
    reg.register(m);
    let mut b = DagBuilder::seeded("json", 3);
    let x = b.input("x", CType::Int);
    let m = b.module("svc.flaky");
    b.bind(x, m, "v");
    let o = b.produce(m, "out", "out", CType::Int);
    b.output("out", o);
    let mut json = serde_json::to_value(b.build()).unwrap();
    for (_, m) in json["modules"].as_object_mut().unwrap() {
        m["options"] = serde_json::json!({"retry": 1});
    }
    let spec: DagSpec = serde_json::from_value(json).unwrap();
    // retry 1 is not enough for two failures ...
    let p = Program::load(&spec, &reg, &RuntimeConfig::default()).unwrap();
    let xi = p.input("x").unwrap();
    assert!(!p.run_sync([(xi, CValue::Int(1))]).unwrap().is_success());
    // ... the config raises it by module name, without editing the spec.
    let config: asterism::Config =
        asterism::Config::from_toml("[runtime.modules.options.\"svc.flaky\"]\nretry = 4\n")
            .unwrap();
    calls.store(0, Ordering::SeqCst);
    let p = Program::load(&spec, &reg, &config.runtime).unwrap();
    let r = p.run_sync([(xi, CValue::Int(1))]).unwrap();
    assert!(r.is_success());
    assert_eq!(r.call_outcome(ModuleIx(0)).unwrap().attempts, 3);

    // Nonsense from the config is a bind error naming the module.
    let bad = asterism::Config::from_toml("[runtime.modules.options.\"svc.flaky\"]\nretry = -1\n")
        .unwrap();
    match Program::load(&spec, &reg, &bad.runtime) {
        Err(LoadError::Bind(e)) => {
            assert!(matches!(e.0[0], BindError::Options(_)));
            assert!(e.to_string().contains("module `svc.flaky`"), "{e}");
            assert!(e.to_string().contains("`retry` is -1"), "{e}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_plan_without_options_is_untouched() {
    let (m, calls) = flaky_sync(1);
    let p = one_module(m, ModuleCallOptions::default(), CType::Int);
    let r = run_sync(&p, 1);
    assert!(!r.is_success());
    assert!(r.call_outcome(ModuleIx(0)).is_none());
    assert!(p.option_metrics().is_empty());
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[tokio::test(start_paused = true)]
async fn the_flaky_example_shows_retry_then_cache_and_fallback() {
    let text = std::fs::read_to_string("examples/flaky_options.json").unwrap();
    let spec = DagSpec::from_json(&text).unwrap();
    let p = Program::load(
        &spec,
        &asterism::demo::registry(),
        &RuntimeConfig::default(),
    )
    .unwrap();
    let (user, fb) = (
        p.input("user").unwrap(),
        p.input("fallbackProfile").unwrap(),
    );
    let inputs = || [(user, CValue::from("ada")), (fb, CValue::from("anonymous"))];
    let (first, second) = (ModuleIx(0), ModuleIx(1));
    assert_eq!(
        p.plan().module_uuid(first).to_string(),
        "7d1c3a52-6f0e-5d4b-9a21-0c5e1f6a7b01"
    );

    // Run 1: call 1 fails, the retry (call 2) succeeds; call 3 succeeds.
    let r = p.run(inputs()).await.unwrap();
    assert_eq!(
        r.output_named("profile"),
        Some(&CValue::from("profile of ada"))
    );
    assert_eq!(
        r.output_named("related"),
        Some(&CValue::from("profile of profile of ada"))
    );
    assert_eq!(r.call_outcome(first).unwrap().attempts, 2);
    drop(r);
    // Run 2: `profile` from the cache; call 4 fails and the fallback answers.
    let r = p.run(inputs()).await.unwrap();
    assert!(r.is_success());
    assert!(r.call_outcome(first).unwrap().from_cache);
    assert!(r.call_outcome(second).unwrap().from_fallback);
    assert_eq!(r.output_named("related"), Some(&CValue::from("anonymous")));
}

#[test]
fn options_from_a_pipeline_image() {
    // The original's PipelineImage keeps options in `moduleOptions`, keyed
    // by module UUID; read back into the spec, they apply.
    let (m, calls) = flaky_sync(2);
    let mut reg = Registry::new();
    reg.register(m);
    let mut b = DagBuilder::seeded("image", 5);
    let x = b.input("x", CType::Int);
    let m = b.module("svc.flaky");
    b.bind(x, m, "v");
    let o = b.produce(m, "out", "out", CType::Int);
    b.output("out", o);
    b.options(
        m,
        ModuleCallOptions {
            retry: Some(2),
            ..Default::default()
        },
    );
    let image = asterism::compiler::PipelineImage::from_spec(b.build());
    assert_eq!(image.module_options.len(), 1);
    let json: serde_json::Value = serde_json::from_str(&image.to_json()).unwrap();
    assert!(json["moduleOptions"]
        .as_object()
        .unwrap()
        .values()
        .all(|v| v["retry"] == 2));
    let spec = asterism::compiler::image::read_pipeline(&json).unwrap();
    let p = Program::load(&spec, &reg, &RuntimeConfig::default()).unwrap();
    let r = p
        .run_sync([(p.input("x").unwrap(), CValue::Int(3))])
        .unwrap();
    assert_eq!(r.output_named("out"), Some(&CValue::Int(6)));
    assert_eq!(r.call_outcome(ModuleIx(0)).unwrap().attempts, 3);
    assert_eq!(calls.load(Ordering::SeqCst), 3);
}
