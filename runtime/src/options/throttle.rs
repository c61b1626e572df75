//! `throttle` (RFC-007): at most `count` calls per `per`, shared by every
//! execution of a program.
//!
//! The limiter is `governor`'s GCRA, which is the RFC's token bucket: a
//! bucket of `count` tokens refilled one every `per / count`. So
//! `10/1s` admits a burst of 10, then one call every 100 ms: 10 per second
//! sustained. It runs on tokio's clock (a small [`Clock`] adapter), so the
//! paused clock of tests drives it exactly and the waits observe the run's
//! deadline like every other wait.
//!
//! Fairness: governor's own waiting is not ordered, so callers queue on a
//! tokio mutex (FIFO by construction) and only the head of the queue waits
//! for a token. A caller that gives up (deadline, cancellation) leaves the
//! queue without taking a token.

use std::num::NonZeroU32;
use std::ops::Add;
use std::time::Duration;

use governor::clock::{Clock, Reference};
use governor::middleware::NoOpMiddleware;
use governor::nanos::Nanos;
use governor::state::{InMemoryState, NotKeyed};
use governor::{Quota, RateLimiter};
use tokio::time::Instant;

use super::policy::Rate;
use super::wait::{Bounds, Interrupted};

/// An instant of tokio's clock, as governor wants one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct TokioInstant(Instant);

impl Add<Nanos> for TokioInstant {
    type Output = TokioInstant;
    fn add(self, n: Nanos) -> TokioInstant {
        TokioInstant(self.0 + Duration::from(n))
    }
}

impl Reference for TokioInstant {
    fn duration_since(&self, earlier: Self) -> Nanos {
        self.0.saturating_duration_since(earlier.0).into()
    }
    fn saturating_sub(&self, d: Nanos) -> Self {
        self.0.checked_sub(d.into()).map_or(*self, TokioInstant)
    }
}

/// tokio's clock (paused in tests, the monotonic clock otherwise).
#[derive(Clone, Copy, Debug, Default)]
pub struct TokioClock;

impl Clock for TokioClock {
    type Instant = TokioInstant;
    fn now(&self) -> TokioInstant {
        TokioInstant(Instant::now())
    }
}

type Limiter = RateLimiter<NotKeyed, InMemoryState, TokioClock, NoOpMiddleware<TokioInstant>>;

/// One module's rate limiter, shared by every execution of a program.
#[derive(Debug)]
pub struct Throttle {
    limiter: Limiter,
    queue: tokio::sync::Mutex<()>,
    rate: Rate,
}

impl Throttle {
    /// A limiter admitting `rate.count` calls per `rate.per`.
    pub fn new(rate: Rate) -> Throttle {
        let step = (rate.per / rate.count.get()).max(Duration::from_nanos(1));
        let quota = Quota::with_period(step)
            .expect("the period is at least one nanosecond")
            .allow_burst(rate.count);
        Throttle {
            limiter: RateLimiter::direct_with_clock(quota, TokioClock),
            queue: tokio::sync::Mutex::new(()),
            rate,
        }
    }

    /// The rate.
    pub fn rate(&self) -> Rate {
        self.rate
    }

    /// Takes one token, waiting in FIFO order for it. `Ok(true)` if the
    /// caller had to wait.
    pub async fn admit(&self, bounds: &Bounds<'_>) -> Result<bool, Interrupted> {
        let mut waited = false;
        let _turn = match self.queue.try_lock() {
            Ok(turn) => turn,
            Err(_) => {
                waited = true;
                bounds.wait(self.queue.lock()).await?
            }
        };
        loop {
            match self.limiter.check() {
                Ok(()) => return Ok(waited),
                Err(not_until) => {
                    waited = true;
                    bounds.sleep_until(not_until.earliest_possible().0).await?;
                }
            }
        }
    }

    /// The blocking form of [`admit`](Self::admit): the calling thread
    /// parks while it waits.
    pub fn admit_blocking(&self, bounds: &Bounds<'_>) -> Result<bool, Interrupted> {
        let mut waited = false;
        let _turn = match self.queue.try_lock() {
            Ok(turn) => turn,
            Err(_) => {
                waited = true;
                bounds
                    .block_on(self.queue.lock(), None)?
                    .expect("no end time was given")
            }
        };
        loop {
            match self.limiter.check() {
                Ok(()) => return Ok(waited),
                Err(not_until) => {
                    waited = true;
                    bounds.block_until(not_until.earliest_possible().0)?;
                }
            }
        }
    }
}

/// `count` as a non-zero rate count (test and config helper).
pub fn per(count: u32, per: Duration) -> Rate {
    Rate {
        count: NonZeroU32::new(count).expect("a rate count is at least 1"),
        per,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use tokio_util::sync::CancellationToken;

    #[tokio::test(start_paused = true)]
    async fn ten_per_second_admits_ten_per_second_in_arrival_order() {
        let t = Arc::new(Throttle::new(per(10, Duration::from_secs(1))));
        let t0 = Instant::now();
        let order = Arc::new(std::sync::Mutex::new(Vec::new()));
        let mut tasks = Vec::new();
        for i in 0..30u32 {
            let (t, order) = (t.clone(), order.clone());
            tasks.push(tokio::spawn(async move {
                t.admit(&Bounds::default()).await.unwrap();
                order.lock().unwrap().push((i, Instant::now() - t0));
            }));
            // Let task i queue before task i + 1 starts.
            tokio::task::yield_now().await;
        }
        for task in tasks {
            task.await.unwrap();
        }
        let order = order.lock().unwrap().clone();
        let ids: Vec<u32> = order.iter().map(|(i, _)| *i).collect();
        assert_eq!(ids, (0..30).collect::<Vec<_>>(), "FIFO");
        for (i, at) in &order {
            let expect = if *i < 10 {
                Duration::ZERO
            } else {
                Duration::from_millis(100 * u64::from(*i - 9))
            };
            assert_eq!(*at, expect, "call {i}");
        }
        // Sustained: calls 10..30 took two seconds, ten per second.
        assert_eq!(order[29].1 - order[9].1, Duration::from_secs(2));
    }

    #[tokio::test(start_paused = true)]
    async fn a_throttle_wait_ends_on_the_deadline_without_a_token() {
        let t = Throttle::new(per(1, Duration::from_secs(10)));
        assert_eq!(t.admit(&Bounds::default()).await, Ok(false));
        let t0 = Instant::now();
        let b = Bounds::new(Some(t0 + Duration::from_secs(1)), None);
        assert_eq!(t.admit(&b).await, Err(Interrupted::Deadline));
        assert_eq!(Instant::now() - t0, Duration::from_secs(1));
        let token = CancellationToken::new();
        token.cancel();
        assert_eq!(
            t.admit(&Bounds::new(None, Some(&token))).await,
            Err(Interrupted::Cancelled)
        );
        // The next token comes 10 s after the first, untouched by the
        // interrupted callers.
        assert_eq!(t.admit(&Bounds::default()).await, Ok(true));
        assert_eq!(Instant::now() - t0, Duration::from_secs(10));
    }

    #[test]
    fn the_blocking_form_admits_the_burst_without_waiting() {
        let t = Throttle::new(per(3, Duration::from_secs(3600)));
        for _ in 0..3 {
            assert_eq!(t.admit_blocking(&Bounds::default()), Ok(false));
        }
        let past = Bounds::new(Some(Instant::now()), None);
        assert_eq!(t.admit_blocking(&past), Err(Interrupted::Deadline));
    }
}
