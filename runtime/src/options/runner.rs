//! The policy runner: one module call with its options applied, in one
//! order.
//!
//! ```text
//! cache lookup ── hit ──────────────────────────────────────────> output (from cache)
//!     │ miss (or backend error: counted, run uncached)
//!     ▼   one flight per key: identical concurrent calls wait for this one
//! attempt n = 1 ..= retry + 1
//!     wait (n > 1): delay grown by backoff, capped
//!     throttle: one token (FIFO)
//!     permit: one of `concurrency` (priority, then FIFO)
//!     call the module, bounded by `timeout`; the permit is released
//!     success ──> store in the cache ──> output
//!     failure ──> next attempt
//! every attempt failed
//!     fallback set ──> the fallback node's value (from fallback)
//!     else onError: propagate (fail) | skip | log (missing value) | wrap
//! ```
//!
//! Every wait (throttle, permit, backoff) and the call itself end at once
//! on the execution's deadline or cancellation ([`Bounds`]); no attempt
//! starts after the deadline. Decisions where the RFCs differ from this:
//!
//! - throttle and permit are taken per attempt (RFC-007 and RFC-008: "each
//!   retry attempt is rate-limited / needs a slot"), and the permit is not
//!   held during the backoff wait, so a failing call does not block others;
//! - `timeout` bounds the module call only, not the queueing for a token or
//!   a permit (the RFCs include it): a timeout then means "the service was
//!   slow", never "we were busy", and the run's deadline bounds the queue;
//! - a panic in a module is not retried: it unwinds through the runner (the
//!   permit is released by its drop) to the executor, which reports it.
//!
//! The blocking form ([`PolicyNode::run_blocking`]) applies the same order
//! to a sync module on the calling thread, for `run_sync`: every wait parks
//! the calling thread, and a sync call cannot be interrupted, so its
//! timeout is judged when it returns (as the executor does for sync
//! modules without options).

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use asterism_compiler::CValue;
use tokio::time::Instant;

use super::cache::{CacheBackend, CacheKey, CachedOutput, SingleFlight};
use super::counters::{Event, OptionCounters};
use super::permits::{Permit, PermitGate};
use super::policy::{CallPolicy, ModuleRef, OnError};
use super::throttle::Throttle;
use super::wait::{Bounds, Interrupted};
use crate::modules::module::{ModuleError, ModuleOutput};

/// Why one attempt failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CallFailure {
    /// The module returned an error.
    #[error("{0}")]
    Error(ModuleError),
    /// The attempt ran past the option's timeout.
    #[error("timed out after {0:?}")]
    Timeout(Duration),
}

/// How a call ended.
#[derive(Clone, Debug, PartialEq)]
pub enum Settled {
    /// The output, from the module or the cache.
    Output(CachedOutput),
    /// Every attempt failed and the module has a fallback: its consumers
    /// get the fallback node's value.
    Fallback,
    /// Every attempt failed and `onError` is `skip` or `log`: no value.
    Missing,
    /// Every attempt failed and `onError` is `wrap`: the consumer gets a
    /// value carrying this error (with `wrap`, an [`Output`](Self::Output)
    /// is wrapped as the success side).
    WrappedError(CallFailure),
    /// Every attempt failed and `onError` is `propagate`.
    Failed(CallFailure),
    /// The execution's deadline or cancellation ended the call.
    Interrupted(Interrupted),
}

/// What happened during one call, for the execution's result.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CallOutcome {
    /// Module calls made by this execution (0 on a cache hit or when it
    /// shared another execution's call).
    pub attempts: u32,
    /// Whether the value came from the cache (or a shared identical call).
    pub from_cache: bool,
    /// Whether the fallback replaced the output.
    pub from_fallback: bool,
    /// The last attempt's failure, if any.
    pub last_error: Option<CallFailure>,
}

/// What one flight (the attempts) gives every caller that shares it.
type Flight = Result<CachedOutput, CallFailure>;

/// A cache and its flights.
#[derive(Debug)]
struct Cached {
    backend: Arc<dyn CacheBackend>,
    ttl: Duration,
    flights: SingleFlight<Flight>,
}

/// A module node's applied options: the policy and the state shared by
/// every execution of a program (limiter, permits, cache, counters).
#[derive(Debug)]
pub struct PolicyNode {
    policy: CallPolicy,
    module: ModuleRef,
    throttle: Option<Throttle>,
    permits: Option<PermitGate>,
    cache: Option<Cached>,
    counters: OptionCounters,
}

impl PolicyNode {
    /// The shared state of `policy`. `backend` is the cache backend the
    /// policy names (required if the policy caches).
    pub fn new(
        module: ModuleRef,
        policy: CallPolicy,
        backend: Option<Arc<dyn CacheBackend>>,
    ) -> PolicyNode {
        let cache = policy.cache.as_ref().map(|spec| Cached {
            backend: backend.expect("a caching policy comes with its backend"),
            ttl: spec.ttl,
            flights: SingleFlight::default(),
        });
        PolicyNode {
            throttle: policy.throttle.map(Throttle::new),
            permits: policy.concurrency.map(PermitGate::new),
            cache,
            counters: OptionCounters::default(),
            module,
            policy,
        }
    }

    /// The policy.
    pub fn policy(&self) -> &CallPolicy {
        &self.policy
    }

    /// The module node.
    pub fn module(&self) -> &ModuleRef {
        &self.module
    }

    /// The counters.
    pub fn counters(&self) -> &OptionCounters {
        &self.counters
    }

    /// Permits free now (`None` without `concurrency`).
    pub fn permits_available(&self) -> Option<u32> {
        self.permits.as_ref().map(PermitGate::available)
    }

    /// One call with every option applied. `inputs` are the module's input
    /// values (read only to build a cache key); `attempt` makes one module
    /// call.
    pub async fn run<F, Fut>(
        &self,
        inputs: &[&CValue],
        bounds: &Bounds<'_>,
        mut attempt: F,
    ) -> (Settled, CallOutcome)
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<ModuleOutput, ModuleError>>,
    {
        let mut outcome = CallOutcome::default();
        let Some(cache) = &self.cache else {
            let flight = self.attempts(bounds, &mut attempt, &mut outcome).await;
            return self.settle(flight, outcome);
        };
        let key = CacheKey::new(&self.module.name, inputs);
        let usable = match bounds.wait(cache.backend.get(&key)).await {
            Err(i) => return (Settled::Interrupted(i), outcome),
            Ok(Ok(Some(hit))) => {
                self.counters.count(Event::CacheHit);
                outcome.from_cache = true;
                return (Settled::Output(hit), outcome);
            }
            Ok(Ok(None)) => {
                self.counters.count(Event::CacheMiss);
                true
            }
            Ok(Err(_)) => {
                self.counters.count(Event::CacheError);
                false
            }
        };
        let shared = cache
            .flights
            .run(&key, || async {
                let flight = self.attempts(bounds, &mut attempt, &mut outcome).await;
                if let Ok(Ok(value)) = &flight {
                    if usable {
                        let put = cache.backend.put(&key, value, cache.ttl);
                        if !matches!(bounds.wait(put).await, Ok(Ok(()))) {
                            self.counters.count(Event::CacheError);
                        }
                    }
                }
                flight
            })
            .await;
        if let Ok((_, false)) = shared {
            outcome.from_cache = true;
        }
        self.settle(shared.map(|(f, _)| f), outcome)
    }

    /// Attempts with timeout and backoff; `Err` if interrupted.
    async fn attempts<F, Fut>(
        &self,
        bounds: &Bounds<'_>,
        attempt: &mut F,
        outcome: &mut CallOutcome,
    ) -> Result<Flight, Interrupted>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<ModuleOutput, ModuleError>>,
    {
        let p = &self.policy;
        let mut n = 1;
        loop {
            bounds.check()?;
            if let Some(t) = &self.throttle {
                if t.admit(bounds).await? {
                    self.counters.count(Event::ThrottleWait);
                }
            }
            let permit = match &self.permits {
                Some(g) => Some(self.waited(g.acquire(p.priority, bounds).await?)),
                None => None,
            };
            self.start_attempt(n, outcome);
            let call = attempt();
            let result = match p.timeout {
                Some(limit) => match bounds.wait(tokio::time::timeout(limit, call)).await? {
                    Ok(r) => r.map_err(CallFailure::Error),
                    Err(_) => Err(CallFailure::Timeout(limit)),
                },
                None => bounds.wait(call).await?.map_err(CallFailure::Error),
            };
            drop(permit);
            match self.after_attempt(n, result, outcome) {
                Some(flight) => return Ok(flight),
                None => {
                    let wait = p.wait_after(n);
                    if !wait.is_zero() {
                        bounds.sleep_until(Instant::now() + wait).await?;
                    }
                    n += 1;
                }
            }
        }
    }

    /// The blocking form of [`run`](Self::run), for sync modules in
    /// `run_sync`: every wait parks the calling thread; a call's timeout is
    /// judged when it returns.
    pub fn run_blocking<F>(
        &self,
        inputs: &[&CValue],
        bounds: &Bounds<'_>,
        mut attempt: F,
    ) -> (Settled, CallOutcome)
    where
        F: FnMut() -> Result<ModuleOutput, ModuleError>,
    {
        let mut outcome = CallOutcome::default();
        let Some(cache) = &self.cache else {
            let flight = self.attempts_blocking(bounds, &mut attempt, &mut outcome);
            return self.settle(flight, outcome);
        };
        let key = CacheKey::new(&self.module.name, inputs);
        if let Err(i) = bounds.check() {
            return (Settled::Interrupted(i), outcome);
        }
        let usable = match cache.backend.get_blocking(&key) {
            Ok(Some(hit)) => {
                self.counters.count(Event::CacheHit);
                outcome.from_cache = true;
                return (Settled::Output(hit), outcome);
            }
            Ok(None) => {
                self.counters.count(Event::CacheMiss);
                true
            }
            Err(_) => {
                self.counters.count(Event::CacheError);
                false
            }
        };
        let flight = cache.flights.run(&key, || async {
            let flight = self.attempts_blocking(bounds, &mut attempt, &mut outcome);
            if let Ok(Ok(value)) = &flight {
                if usable && cache.backend.put_blocking(&key, value, cache.ttl).is_err() {
                    self.counters.count(Event::CacheError);
                }
            }
            flight
        });
        let shared = match bounds.block_on(flight, None) {
            Ok(Some(shared)) => shared,
            Ok(None) => unreachable!("no end time was given"),
            Err(i) => Err(i),
        };
        if let Ok((_, false)) = shared {
            outcome.from_cache = true;
        }
        self.settle(shared.map(|(f, _)| f), outcome)
    }

    fn attempts_blocking<F>(
        &self,
        bounds: &Bounds<'_>,
        attempt: &mut F,
        outcome: &mut CallOutcome,
    ) -> Result<Flight, Interrupted>
    where
        F: FnMut() -> Result<ModuleOutput, ModuleError>,
    {
        let p = &self.policy;
        let mut n = 1;
        loop {
            bounds.check()?;
            if let Some(t) = &self.throttle {
                if t.admit_blocking(bounds)? {
                    self.counters.count(Event::ThrottleWait);
                }
            }
            let permit = match &self.permits {
                Some(g) => Some(self.waited(g.acquire_blocking(p.priority, bounds)?)),
                None => None,
            };
            self.start_attempt(n, outcome);
            let started = Instant::now();
            let result = attempt().map_err(CallFailure::Error);
            let result = match p.timeout {
                Some(limit) if started.elapsed() > limit => Err(CallFailure::Timeout(limit)),
                _ => result,
            };
            drop(permit);
            match self.after_attempt(n, result, outcome) {
                Some(flight) => return Ok(flight),
                None => {
                    let wait = p.wait_after(n);
                    if !wait.is_zero() {
                        bounds.block_until(Instant::now() + wait)?;
                    }
                    n += 1;
                }
            }
        }
    }

    fn waited<'g>(&self, (permit, waited): (Permit<'g>, bool)) -> Permit<'g> {
        if waited {
            self.counters.count(Event::PermitWait);
        }
        permit
    }

    fn start_attempt(&self, n: u32, outcome: &mut CallOutcome) {
        self.counters.count(Event::Attempt);
        if n > 1 {
            self.counters.count(Event::Retry);
        }
        outcome.attempts = n;
    }

    /// `Some` when the attempts are over (success, or the last failure).
    fn after_attempt(
        &self,
        n: u32,
        result: Result<ModuleOutput, CallFailure>,
        outcome: &mut CallOutcome,
    ) -> Option<Flight> {
        match result {
            Ok(v) => Some(Ok(Arc::new(v))),
            Err(e) => {
                if matches!(e, CallFailure::Timeout(_)) {
                    self.counters.count(Event::Timeout);
                }
                let last = n >= self.policy.max_attempts();
                if last {
                    Some(Err(e))
                } else {
                    outcome.last_error = Some(e);
                    None
                }
            }
        }
    }

    /// Fallback, then `onError`.
    fn settle(
        &self,
        flight: Result<Flight, Interrupted>,
        mut outcome: CallOutcome,
    ) -> (Settled, CallOutcome) {
        let err = match flight {
            Err(i) => return (Settled::Interrupted(i), outcome),
            Ok(Ok(v)) => return (Settled::Output(v), outcome),
            Ok(Err(e)) => e,
        };
        outcome.last_error = Some(err.clone());
        if self.policy.fallback.is_some() {
            self.counters.count(Event::Fallback);
            outcome.from_fallback = true;
            return (Settled::Fallback, outcome);
        }
        let settled = match self.policy.on_error {
            OnError::Propagate => return (Settled::Failed(err), outcome),
            OnError::Skip => Settled::Missing,
            OnError::Log => {
                eprintln!(
                    "asterism: {} failed after {} attempt(s): {err}; its value is missing (onError: log)",
                    self.module, outcome.attempts
                );
                Settled::Missing
            }
            OnError::Wrap => Settled::WrappedError(err),
        };
        self.counters.count(Event::ErrorHandled);
        (settled, outcome)
    }
}
