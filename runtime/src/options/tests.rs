//! The policy runner's behaviour, on tokio's paused clock: each test names
//! the rule of `runner.rs` it checks.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use asterism_compiler::CValue;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use super::cache::{CacheBackend, CacheError, CacheFuture, CacheKey, CachedOutput, MemoryCache};
use super::policy::{Backoff, CacheSpec, CallPolicy, ModuleRef, OnError};
use super::runner::{CallFailure, PolicyNode, Settled};
use super::throttle::per;
use super::wait::{Bounds, Interrupted};
use crate::modules::module::{ModuleError, ModuleOutput};

const MS: Duration = Duration::from_millis(1);

fn node(policy: CallPolicy) -> PolicyNode {
    let backend: Option<Arc<dyn CacheBackend>> = policy
        .cache
        .as_ref()
        .map(|_| Arc::new(MemoryCache::default()) as Arc<dyn CacheBackend>);
    PolicyNode::new(module(), policy, backend)
}

fn module() -> ModuleRef {
    ModuleRef {
        uuid: Uuid::from_u128(1),
        name: "Flaky".into(),
    }
}

fn out(v: i64) -> ModuleOutput {
    ModuleOutput::One(CValue::Int(v))
}

/// A module that fails its first `failures` calls, recording when each
/// call started.
struct Script {
    failures: u32,
    calls: AtomicU32,
    starts: Mutex<Vec<Duration>>,
    t0: Instant,
}

impl Script {
    fn new(failures: u32) -> Arc<Script> {
        Arc::new(Script {
            failures,
            calls: AtomicU32::new(0),
            starts: Mutex::new(Vec::new()),
            t0: Instant::now(),
        })
    }
    fn call(&self) -> Result<ModuleOutput, ModuleError> {
        self.starts.lock().unwrap().push(Instant::now() - self.t0);
        let n = self.calls.fetch_add(1, Ordering::SeqCst);
        if n < self.failures {
            Err(ModuleError::new(format!("failure {}", n + 1)))
        } else {
            Ok(out(7))
        }
    }
    fn starts_ms(&self) -> Vec<u64> {
        self.starts
            .lock()
            .unwrap()
            .iter()
            .map(|d| d.as_millis() as u64)
            .collect()
    }
}

fn retrying(retries: u32, delay_ms: u32, backoff: Backoff) -> CallPolicy {
    CallPolicy {
        retries,
        delay: delay_ms * MS,
        backoff,
        ..Default::default()
    }
}

#[tokio::test(start_paused = true)]
async fn attempts_start_on_the_rfc_backoff_schedule() {
    for (backoff, starts) in [
        (Backoff::Fixed, vec![0, 100, 200, 300, 400]),
        (Backoff::Linear, vec![0, 100, 300, 600, 1000]),
        (Backoff::Exponential, vec![0, 100, 300, 700, 1500]),
    ] {
        let n = node(retrying(5, 100, backoff));
        let s = Script::new(4);
        let (settled, outcome) = n
            .run(&[], &Bounds::default(), || {
                let s = s.clone();
                async move { s.call() }
            })
            .await;
        assert_eq!(settled, Settled::Output(Arc::new(out(7))), "{backoff:?}");
        assert_eq!(s.starts_ms(), starts, "{backoff:?}");
        assert_eq!(outcome.attempts, 5);
        assert!(!outcome.from_cache && !outcome.from_fallback);
        assert_eq!(
            outcome.last_error,
            Some(CallFailure::Error(ModuleError::new("failure 4")))
        );
        let c = n.counters().snapshot();
        assert_eq!((c.attempts, c.retries), (5, 4));
    }
}

#[tokio::test(start_paused = true)]
async fn the_cap_bounds_each_wait() {
    let mut p = retrying(4, 1000, Backoff::Exponential);
    p.backoff_cap = 1500 * MS;
    let n = node(p);
    let s = Script::new(u32::MAX);
    let (settled, outcome) = n
        .run(&[], &Bounds::default(), || {
            let s = s.clone();
            async move { s.call() }
        })
        .await;
    assert_eq!(s.starts_ms(), vec![0, 1000, 2500, 4000, 5500]);
    assert_eq!(
        settled,
        Settled::Failed(CallFailure::Error(ModuleError::new("failure 5")))
    );
    assert_eq!(outcome.attempts, 5);
}

#[tokio::test(start_paused = true)]
async fn the_timeout_bounds_each_attempt_not_the_call() {
    let n = node(CallPolicy {
        retries: 2,
        timeout: Some(50 * MS),
        delay: 10 * MS,
        ..Default::default()
    });
    let t0 = Instant::now();
    let calls = AtomicU32::new(0);
    let (settled, outcome) = n
        .run(&[], &Bounds::default(), || {
            calls.fetch_add(1, Ordering::SeqCst);
            std::future::pending()
        })
        .await;
    assert_eq!(settled, Settled::Failed(CallFailure::Timeout(50 * MS)));
    assert_eq!(Instant::now() - t0, 170 * MS, "3 x 50 ms + 2 x 10 ms");
    assert_eq!(calls.load(Ordering::SeqCst), 3);
    assert_eq!(outcome.attempts, 3);
    assert_eq!(n.counters().snapshot().timeouts, 3);
}

#[tokio::test(start_paused = true)]
async fn the_deadline_cuts_a_backoff_and_no_retry_starts_after_it() {
    let n = node(retrying(5, 1000, Backoff::Fixed));
    let s = Script::new(u32::MAX);
    let t0 = Instant::now();
    let bounds = Bounds::new(Some(t0 + 1500 * MS), None);
    let (settled, outcome) = n
        .run(&[], &bounds, || {
            let s = s.clone();
            async move { s.call() }
        })
        .await;
    assert_eq!(settled, Settled::Interrupted(Interrupted::Deadline));
    assert_eq!(
        Instant::now() - t0,
        1500 * MS,
        "ended at the deadline, not at 2 s"
    );
    assert_eq!(s.starts_ms(), vec![0, 1000]);
    assert_eq!(outcome.attempts, 2);
}

#[tokio::test(start_paused = true)]
async fn cancellation_ends_a_call_in_flight_and_frees_its_permit() {
    let n = node(CallPolicy {
        concurrency: std::num::NonZeroU32::new(1),
        ..Default::default()
    });
    let token = CancellationToken::new();
    let cancel = {
        let token = token.clone();
        tokio::spawn(async move {
            tokio::time::sleep(5 * MS).await;
            token.cancel();
        })
    };
    let (settled, _) = n
        .run(&[], &Bounds::new(None, Some(&token)), std::future::pending)
        .await;
    cancel.await.unwrap();
    assert_eq!(settled, Settled::Interrupted(Interrupted::Cancelled));
    assert_eq!(n.permits_available(), Some(1));
}

#[tokio::test(start_paused = true)]
async fn concurrency_two_across_fifty_executions() {
    let n = Arc::new(node(CallPolicy {
        concurrency: std::num::NonZeroU32::new(2),
        ..Default::default()
    }));
    let in_flight = Arc::new(AtomicU32::new(0));
    let most = Arc::new(AtomicU32::new(0));
    let mut runs = Vec::new();
    for i in 0..50i64 {
        let (n, in_flight, most) = (n.clone(), in_flight.clone(), most.clone());
        runs.push(tokio::spawn(async move {
            let (settled, _) = n
                .run(&[], &Bounds::default(), || {
                    let (in_flight, most) = (in_flight.clone(), most.clone());
                    async move {
                        let now = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                        most.fetch_max(now, Ordering::SeqCst);
                        tokio::time::sleep(Duration::from_millis(10 + (i % 7) as u64)).await;
                        in_flight.fetch_sub(1, Ordering::SeqCst);
                        Ok(out(i))
                    }
                })
                .await;
            assert_eq!(settled, Settled::Output(Arc::new(out(i))));
        }));
    }
    for r in runs {
        r.await.unwrap();
    }
    assert_eq!(most.load(Ordering::SeqCst), 2);
    assert_eq!(n.permits_available(), Some(2));
    let c = n.counters().snapshot();
    assert_eq!(c.attempts, 50);
    assert_eq!(c.permit_waits, 48);
}

#[tokio::test(start_paused = true)]
async fn throttle_ten_per_second_across_executions() {
    let n = Arc::new(node(CallPolicy {
        throttle: Some(per(10, Duration::from_secs(1))),
        ..Default::default()
    }));
    let t0 = Instant::now();
    let mut runs = Vec::new();
    for _ in 0..25 {
        let n = n.clone();
        runs.push(tokio::spawn(async move {
            n.run(&[], &Bounds::default(), || async { Ok(out(1)) })
                .await;
            Instant::now() - t0
        }));
        tokio::task::yield_now().await;
    }
    let mut done = Vec::new();
    for r in runs {
        done.push(r.await.unwrap());
    }
    assert_eq!(done.iter().filter(|d| d.is_zero()).count(), 10);
    assert_eq!(
        *done.iter().max().unwrap(),
        1500 * MS,
        "15 more at 100 ms each"
    );
    assert_eq!(n.counters().snapshot().throttle_waits, 15);
}

#[tokio::test(start_paused = true)]
async fn a_hundred_identical_concurrent_calls_make_one_module_call() {
    let n = Arc::new(node(CallPolicy {
        cache: Some(CacheSpec {
            ttl: Duration::from_secs(60),
            backend: "memory".into(),
        }),
        ..Default::default()
    }));
    let calls = Arc::new(AtomicU32::new(0));
    let mut runs = Vec::new();
    for _ in 0..100 {
        let (n, calls) = (n.clone(), calls.clone());
        runs.push(tokio::spawn(async move {
            let x = CValue::from("user-1");
            n.run(&[&x], &Bounds::default(), || {
                let calls = calls.clone();
                async move {
                    calls.fetch_add(1, Ordering::SeqCst);
                    tokio::time::sleep(20 * MS).await;
                    Ok(ModuleOutput::One(CValue::from("profile")))
                }
            })
            .await
        }));
    }
    let mut values = Vec::new();
    let mut module_calls = 0;
    for r in runs {
        let (settled, outcome) = r.await.unwrap();
        module_calls += outcome.attempts;
        match settled {
            Settled::Output(v) => values.push(v),
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    assert_eq!(module_calls, 1);
    assert!(
        values.iter().all(|v| Arc::ptr_eq(v, &values[0])),
        "shared, not copied"
    );
    // Later: a hit, sharing the same value.
    let x = CValue::from("user-1");
    let (settled, outcome) = n
        .run(&[&x], &Bounds::default(), || async {
            unreachable!("cached")
        })
        .await;
    assert!(outcome.from_cache);
    assert_eq!(settled, Settled::Output(values[0].clone()));
    let c = n.counters().snapshot();
    assert_eq!((c.cache_misses, c.cache_hits), (100, 1));
    // Other inputs miss; after the TTL the same inputs miss again.
    let y = CValue::from("user-2");
    n.run(&[&y], &Bounds::default(), || async { Ok(out(2)) })
        .await;
    tokio::time::advance(Duration::from_secs(60)).await;
    let (_, outcome) = n
        .run(&[&x], &Bounds::default(), || async { Ok(out(3)) })
        .await;
    assert!(!outcome.from_cache);
    assert_eq!(outcome.attempts, 1);
}

#[tokio::test(start_paused = true)]
async fn failures_are_not_cached() {
    let n = node(CallPolicy {
        cache: Some(CacheSpec {
            ttl: Duration::from_secs(60),
            backend: "memory".into(),
        }),
        ..Default::default()
    });
    let s = Script::new(1);
    let call = || {
        let s = s.clone();
        async move { s.call() }
    };
    assert!(matches!(
        n.run(&[], &Bounds::default(), call).await.0,
        Settled::Failed(_)
    ));
    assert!(matches!(
        n.run(&[], &Bounds::default(), call).await.0,
        Settled::Output(_)
    ));
    let (_, o) = n.run(&[], &Bounds::default(), call).await;
    assert!(o.from_cache);
    assert_eq!(s.calls.load(Ordering::SeqCst), 2);
}

/// A backend that is always down.
#[derive(Debug)]
struct Down;

impl CacheBackend for Down {
    fn name(&self) -> &str {
        "down"
    }
    fn get<'a>(
        &'a self,
        _: &'a CacheKey,
    ) -> CacheFuture<'a, Result<Option<CachedOutput>, CacheError>> {
        Box::pin(async { Err(down()) })
    }
    fn put<'a>(
        &'a self,
        _: &'a CacheKey,
        _: &'a CachedOutput,
        _: Duration,
    ) -> CacheFuture<'a, Result<(), CacheError>> {
        Box::pin(async { Err(down()) })
    }
    fn get_blocking(&self, _: &CacheKey) -> Result<Option<CachedOutput>, CacheError> {
        Err(down())
    }
    fn put_blocking(&self, _: &CacheKey, _: &CachedOutput, _: Duration) -> Result<(), CacheError> {
        Err(down())
    }
}

fn down() -> CacheError {
    CacheError {
        backend: "down".into(),
        message: "connection refused".into(),
    }
}

#[tokio::test(start_paused = true)]
async fn a_backend_that_is_down_means_uncached_calls_counted_never_failures() {
    let policy = CallPolicy {
        cache: Some(CacheSpec {
            ttl: Duration::from_secs(60),
            backend: "down".into(),
        }),
        ..Default::default()
    };
    let n = PolicyNode::new(module(), policy, Some(Arc::new(Down)));
    for _ in 0..3 {
        let (settled, o) = n
            .run(&[], &Bounds::default(), || async { Ok(out(1)) })
            .await;
        assert_eq!(settled, Settled::Output(Arc::new(out(1))));
        assert_eq!(o.attempts, 1);
    }
    let (settled, _) = n.run_blocking(&[], &Bounds::default(), || Ok(out(1)));
    assert_eq!(settled, Settled::Output(Arc::new(out(1))));
    let c = n.counters().snapshot();
    assert_eq!((c.cache_errors, c.cache_hits, c.attempts), (4, 0, 4));
}

#[tokio::test(start_paused = true)]
async fn fallback_then_each_on_error_strategy() {
    let fail = || async { Err::<ModuleOutput, _>(ModuleError::new("down")) };
    let err = CallFailure::Error(ModuleError::new("down"));

    let with_fallback = node(CallPolicy {
        retries: 1,
        fallback: Some(Uuid::from_u128(9)),
        on_error: OnError::Wrap,
        ..Default::default()
    });
    let (settled, o) = with_fallback.run(&[], &Bounds::default(), fail).await;
    assert_eq!(settled, Settled::Fallback, "the fallback wins over onError");
    assert!(o.from_fallback);
    assert_eq!((o.attempts, o.last_error.clone()), (2, Some(err.clone())));
    assert_eq!(with_fallback.counters().snapshot().fallbacks_used, 1);

    for (on_error, expect) in [
        (OnError::Propagate, Settled::Failed(err.clone())),
        (OnError::Skip, Settled::Missing),
        (OnError::Log, Settled::Missing),
        (OnError::Wrap, Settled::WrappedError(err.clone())),
    ] {
        let n = node(CallPolicy {
            on_error,
            ..Default::default()
        });
        let (settled, o) = n.run(&[], &Bounds::default(), fail).await;
        assert_eq!(settled, expect, "{on_error:?}");
        assert_eq!(o.last_error, Some(err.clone()));
        let handled = n.counters().snapshot().errors_handled;
        assert_eq!(handled, u64::from(on_error != OnError::Propagate));
        // Success is untouched by every strategy.
        let (settled, o) = n
            .run(&[], &Bounds::default(), || async { Ok(out(1)) })
            .await;
        assert_eq!(settled, Settled::Output(Arc::new(out(1))));
        assert_eq!(o.last_error, None);
    }
}

#[test]
fn the_blocking_form_applies_the_same_order() {
    let n = node(CallPolicy {
        retries: 3,
        concurrency: std::num::NonZeroU32::new(1),
        throttle: Some(per(100, Duration::from_secs(1))),
        cache: Some(CacheSpec {
            ttl: Duration::from_secs(60),
            backend: "memory".into(),
        }),
        ..Default::default()
    });
    let calls = AtomicU32::new(0);
    let flaky = || {
        if calls.fetch_add(1, Ordering::SeqCst) < 2 {
            Err(ModuleError::new("flaky"))
        } else {
            Ok(out(5))
        }
    };
    let x = CValue::Int(1);
    let (settled, o) = n.run_blocking(&[&x], &Bounds::default(), flaky);
    assert_eq!(settled, Settled::Output(Arc::new(out(5))));
    assert_eq!(o.attempts, 3);
    let (settled, o) = n.run_blocking(&[&x], &Bounds::default(), || unreachable!("cached"));
    assert_eq!(settled, Settled::Output(Arc::new(out(5))));
    assert!(o.from_cache);
    assert_eq!(n.permits_available(), Some(1));

    let token = CancellationToken::new();
    token.cancel();
    let (settled, _) = n.run_blocking(&[&CValue::Int(2)], &Bounds::new(None, Some(&token)), || {
        unreachable!("cancelled before the call")
    });
    assert_eq!(settled, Settled::Interrupted(Interrupted::Cancelled));

    // A sync call past its timeout is a timeout when it returns.
    let slow = node(CallPolicy {
        timeout: Some(Duration::ZERO),
        on_error: OnError::Skip,
        ..Default::default()
    });
    let (settled, o) = slow.run_blocking(&[], &Bounds::default(), || {
        std::thread::sleep(MS);
        Ok(out(1))
    });
    assert_eq!(settled, Settled::Missing);
    assert_eq!(o.last_error, Some(CallFailure::Timeout(Duration::ZERO)));
}
