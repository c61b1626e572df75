//! Waits that end at once on the execution's deadline or cancellation.
//!
//! Every wait of the policy runner (throttle, permit, backoff) goes through
//! [`Bounds::wait`] (async, on tokio's clock, so paused-clock tests are
//! exact) or [`Bounds::block_on`] (the blocking form for `run_sync`: the
//! calling thread parks until the wait ends, the deadline passes or the
//! token is cancelled; no tokio runtime is needed). A blocking wait reads
//! how long it has on tokio's clock once, then parks on the real clock, so
//! a `run_sync` inside a paused-clock test waits real time, never forever.

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread::Thread;

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// Why a wait ended early.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Interrupted {
    /// The execution's deadline passed.
    Deadline,
    /// The execution was cancelled.
    Cancelled,
}

/// The execution's limits every wait observes.
#[derive(Clone, Copy, Debug, Default)]
pub struct Bounds<'a> {
    /// When the execution must end.
    pub deadline: Option<Instant>,
    /// The execution's cancellation token.
    pub cancel: Option<&'a CancellationToken>,
}

impl<'a> Bounds<'a> {
    /// Bounds of an execution.
    pub fn new(deadline: Option<Instant>, cancel: Option<&'a CancellationToken>) -> Self {
        Bounds { deadline, cancel }
    }

    /// `Err` if the execution is cancelled or past its deadline now.
    pub fn check(&self) -> Result<(), Interrupted> {
        if self.cancel.is_some_and(CancellationToken::is_cancelled) {
            return Err(Interrupted::Cancelled);
        }
        if self.deadline.is_some_and(|d| Instant::now() >= d) {
            return Err(Interrupted::Deadline);
        }
        Ok(())
    }

    /// Runs `fut` until it ends, the deadline passes or the token is
    /// cancelled, whichever comes first (cancellation wins a tie, then the
    /// deadline). `fut` is dropped when interrupted.
    pub async fn wait<F: Future>(&self, fut: F) -> Result<F::Output, Interrupted> {
        self.check()?;
        let cancelled = async {
            match self.cancel {
                Some(c) => c.cancelled().await,
                None => std::future::pending().await,
            }
        };
        let deadline = async {
            match self.deadline {
                Some(d) => tokio::time::sleep_until(d).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            biased;
            () = cancelled => Err(Interrupted::Cancelled),
            () = deadline => Err(Interrupted::Deadline),
            out = fut => Ok(out),
        }
    }

    /// Sleeps until `until`, ending early on the bounds.
    pub async fn sleep_until(&self, until: Instant) -> Result<(), Interrupted> {
        self.wait(tokio::time::sleep_until(until)).await
    }

    /// The blocking form of [`wait`](Self::wait): polls `fut` on the calling
    /// thread, parking it between polls, until `fut` ends, `until` (if any)
    /// passes (`Ok(None)`), the deadline passes or the token is cancelled.
    /// `fut` must not need a tokio timer (a permit or the token are fine).
    pub fn block_on<F: Future>(
        &self,
        fut: F,
        until: Option<Instant>,
    ) -> Result<Option<F::Output>, Interrupted> {
        self.check()?;
        let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
        let mut cx = Context::from_waker(&waker);
        let mut fut = pin!(fut);
        let mut cancelled = pin!(async {
            match self.cancel {
                Some(c) => c.cancelled().await,
                None => std::future::pending().await,
            }
        });
        let (end, end_is_deadline) = match (until, self.deadline) {
            (Some(u), Some(d)) if d <= u => (Some(d), true),
            (Some(u), _) => (Some(u), false),
            (None, d) => (d, true),
        };
        // The thread parks on the real clock: the time left is read once
        // on tokio's (which a paused test clock would otherwise freeze).
        let end =
            end.map(|e| std::time::Instant::now() + e.saturating_duration_since(Instant::now()));
        loop {
            if cancelled.as_mut().poll(&mut cx).is_ready() {
                return Err(Interrupted::Cancelled);
            }
            if let Poll::Ready(out) = fut.as_mut().poll(&mut cx) {
                return Ok(Some(out));
            }
            match end {
                Some(end) => {
                    let now = std::time::Instant::now();
                    if now >= end {
                        return if end_is_deadline {
                            Err(Interrupted::Deadline)
                        } else {
                            Ok(None)
                        };
                    }
                    std::thread::park_timeout(end - now);
                }
                None => std::thread::park(),
            }
        }
    }

    /// The blocking form of [`sleep_until`](Self::sleep_until): parks the
    /// calling thread.
    pub fn block_until(&self, until: Instant) -> Result<(), Interrupted> {
        self.block_on(std::future::pending::<()>(), Some(until))
            .map(|_| ())
    }
}

/// Wakes a parked thread.
struct Unpark(Thread);

impl Wake for Unpark {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }
    fn wake_by_ref(self: &Arc<Self>) {
        self.0.unpark();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test(start_paused = true)]
    async fn a_wait_ends_at_the_deadline_or_on_cancel() {
        let t0 = Instant::now();
        let b = Bounds::new(Some(t0 + Duration::from_millis(50)), None);
        let r = b.sleep_until(t0 + Duration::from_secs(10)).await;
        assert_eq!(r, Err(Interrupted::Deadline));
        assert_eq!(Instant::now() - t0, Duration::from_millis(50));
        assert_eq!(b.wait(async { 3 }).await, Err(Interrupted::Deadline));

        let token = CancellationToken::new();
        let b = Bounds::new(None, Some(&token));
        let canceller = {
            let token = token.clone();
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(7)).await;
                token.cancel();
            })
        };
        let t1 = Instant::now();
        assert_eq!(
            b.sleep_until(t1 + Duration::from_secs(10)).await,
            Err(Interrupted::Cancelled)
        );
        assert_eq!(Instant::now() - t1, Duration::from_millis(7));
        canceller.await.unwrap();
        assert_eq!(Bounds::default().wait(async { 3 }).await, Ok(3));
    }

    #[test]
    fn the_blocking_form_ends_on_cancel_from_another_thread() {
        let token = CancellationToken::new();
        let b = Bounds::new(None, Some(&token));
        let t = token.clone();
        let other = std::thread::spawn(move || t.cancel());
        // Parks with no timer until the token wakes it.
        assert_eq!(
            b.block_on(std::future::pending::<()>(), None),
            Err(Interrupted::Cancelled)
        );
        other.join().unwrap();
        let past = Bounds::new(Some(Instant::now()), None);
        assert_eq!(past.block_until(Instant::now()), Err(Interrupted::Deadline));
        assert_eq!(Bounds::default().block_on(async { 5 }, None), Ok(Some(5)));
        assert_eq!(Bounds::default().block_until(Instant::now()), Ok(()));
    }
}
