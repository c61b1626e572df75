//! `concurrency` (RFC-008) with `priority` (RFC-011): at most `n` calls of
//! a module in flight across every execution of a program; waiting callers
//! are served highest priority first, first come first served within a
//! priority.
//!
//! tokio's `Semaphore` is FIFO but knows no priority, so this is a small
//! permit gate of our own, built on tokio's oneshot channel. Its protocol:
//!
//! - P1. `free` counts permits nobody holds. `free > 0` only while no
//!   waiter is queued (a release hands its permit to a live waiter before
//!   it would increment `free`), so an arrival takes a free permit at once
//!   or queues; nobody jumps the queue.
//! - P2. A release pops waiters in order (priority, then arrival) and
//!   sends the permit on the first one whose receiver is still open; a
//!   closed receiver (a waiter that gave up) is skipped. With no live
//!   waiter, `free` grows by one.
//! - P3. A waiter that gives up (deadline, cancellation, its future
//!   dropped) closes its receiver, then checks whether a permit reached it
//!   before the close; if one did, it releases it (P2). So a cancelled wait
//!   frees nothing it did not take, and loses nothing it was given.
//! - P4. A [`Permit`] releases on drop: after a success, an error, a
//!   timeout, a panic (drop during unwinding) or cancellation.
//!
//! The lock is a `std::sync::Mutex` held for a few instructions (a heap
//! push or pop), never across an await.

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::num::NonZeroU32;
use std::sync::Mutex;

use tokio::sync::oneshot;

use super::wait::{Bounds, Interrupted};

/// One module's permit gate, shared by every execution of a program.
#[derive(Debug)]
pub struct PermitGate {
    state: Mutex<GateState>,
    limit: NonZeroU32,
}

#[derive(Debug)]
struct GateState {
    free: u32,
    next_seq: u64,
    waiters: BinaryHeap<Waiter>,
}

#[derive(Debug)]
struct Waiter {
    priority: u8,
    seq: u64,
    tx: oneshot::Sender<()>,
}

impl PartialEq for Waiter {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Waiter {}
impl PartialOrd for Waiter {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Waiter {
    /// The greatest waiter is served first: highest priority, then earliest.
    fn cmp(&self, other: &Self) -> Ordering {
        self.priority
            .cmp(&other.priority)
            .then_with(|| other.seq.cmp(&self.seq))
    }
}

/// A permit; released on drop (P4).
#[derive(Debug)]
#[must_use = "the permit is released when dropped"]
pub struct Permit<'a> {
    gate: &'a PermitGate,
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        self.gate.release();
    }
}

/// A queued wait; gives back a permit that arrives too late (P3).
struct Pending<'a> {
    gate: &'a PermitGate,
    rx: Option<oneshot::Receiver<()>>,
}

impl Drop for Pending<'_> {
    fn drop(&mut self) {
        if let Some(mut rx) = self.rx.take() {
            rx.close();
            if rx.try_recv().is_ok() {
                self.gate.release();
            }
        }
    }
}

/// Either a permit now, or a place in the queue.
enum Entry<'a> {
    Now(Permit<'a>),
    Queued(Pending<'a>),
}

impl PermitGate {
    /// A gate of `limit` permits.
    pub fn new(limit: NonZeroU32) -> PermitGate {
        PermitGate {
            state: Mutex::new(GateState {
                free: limit.get(),
                next_seq: 0,
                waiters: BinaryHeap::new(),
            }),
            limit,
        }
    }

    /// The number of permits.
    pub fn limit(&self) -> NonZeroU32 {
        self.limit
    }

    /// Permits nobody holds now.
    pub fn available(&self) -> u32 {
        self.lock().free
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, GateState> {
        // A panic never happens under this lock (heap operations on owned
        // data), but poison is not a reason to stop admitting calls.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn release(&self) {
        let mut s = self.lock();
        while let Some(w) = s.waiters.pop() {
            if w.tx.send(()).is_ok() {
                return;
            }
        }
        s.free += 1;
    }

    fn enter(&self, priority: u8) -> Entry<'_> {
        let mut s = self.lock();
        if s.free > 0 {
            debug_assert!(s.waiters.is_empty(), "P1");
            s.free -= 1;
            return Entry::Now(Permit { gate: self });
        }
        let (tx, rx) = oneshot::channel();
        let seq = s.next_seq;
        s.next_seq += 1;
        s.waiters.push(Waiter { priority, seq, tx });
        Entry::Queued(Pending {
            gate: self,
            rx: Some(rx),
        })
    }

    /// Takes a permit, waiting in (priority, arrival) order. Returns the
    /// permit and whether the caller had to wait.
    pub async fn acquire(
        &self,
        priority: u8,
        bounds: &Bounds<'_>,
    ) -> Result<(Permit<'_>, bool), Interrupted> {
        bounds.check()?;
        let mut pending = match self.enter(priority) {
            Entry::Now(p) => return Ok((p, false)),
            Entry::Queued(p) => p,
        };
        let rx = pending.rx.as_mut().expect("set when queued");
        match bounds.wait(rx).await? {
            Ok(()) => {
                pending.rx = None;
                Ok((Permit { gate: self }, true))
            }
            Err(_) => unreachable!("a queued sender is only dropped by sending (P2)"),
        }
    }

    /// The blocking form of [`acquire`](Self::acquire): the calling thread
    /// parks while it waits.
    pub fn acquire_blocking(
        &self,
        priority: u8,
        bounds: &Bounds<'_>,
    ) -> Result<(Permit<'_>, bool), Interrupted> {
        bounds.check()?;
        let mut pending = match self.enter(priority) {
            Entry::Now(p) => return Ok((p, false)),
            Entry::Queued(p) => p,
        };
        let rx = pending.rx.as_mut().expect("set when queued");
        match bounds.block_on(rx, None)? {
            Some(Ok(())) => {
                pending.rx = None;
                Ok((Permit { gate: self }, true))
            }
            _ => unreachable!("no end time was given, and senders only send (P2)"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::time::Duration;
    use tokio::time::Instant;
    use tokio_util::sync::CancellationToken;

    fn gate(n: u32) -> Arc<PermitGate> {
        Arc::new(PermitGate::new(NonZeroU32::new(n).unwrap()))
    }

    #[tokio::test(start_paused = true)]
    async fn waiters_are_served_by_priority_then_arrival() {
        let g = gate(1);
        let (held, waited) = g.acquire(50, &Bounds::default()).await.unwrap();
        assert!(!waited);
        let served = Arc::new(Mutex::new(Vec::new()));
        let mut tasks = Vec::new();
        for (name, prio) in [
            ("low", 0u8),
            ("high-1", 100),
            ("normal", 50),
            ("high-2", 100),
        ] {
            let (g, served) = (g.clone(), served.clone());
            tasks.push(tokio::spawn(async move {
                let (_p, waited) = g.acquire(prio, &Bounds::default()).await.unwrap();
                assert!(waited);
                served.lock().unwrap().push(name);
            }));
            tokio::task::yield_now().await;
        }
        drop(held);
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(
            *served.lock().unwrap(),
            ["high-1", "high-2", "normal", "low"]
        );
        assert_eq!(g.available(), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn a_cancelled_wait_frees_nothing_it_did_not_take() {
        let g = gate(1);
        let (held, _) = g.acquire(50, &Bounds::default()).await.unwrap();
        let token = CancellationToken::new();
        let waiter = {
            let (g, token) = (g.clone(), token.clone());
            tokio::spawn(async move {
                g.acquire(50, &Bounds::new(None, Some(&token)))
                    .await
                    .map(|_| ())
            })
        };
        tokio::task::yield_now().await;
        token.cancel();
        assert_eq!(waiter.await.unwrap(), Err(Interrupted::Cancelled));
        assert_eq!(g.available(), 0, "the holder still has the only permit");
        drop(held);
        assert_eq!(g.available(), 1, "one permit, not two");

        // A deadline ends a wait the same way.
        let (held, _) = g.acquire(50, &Bounds::default()).await.unwrap();
        let t0 = Instant::now();
        let late = g
            .acquire(50, &Bounds::new(Some(t0 + Duration::from_millis(30)), None))
            .await
            .map(|_| ());
        assert_eq!(late, Err(Interrupted::Deadline));
        assert_eq!(Instant::now() - t0, Duration::from_millis(30));
        drop(held);
        assert_eq!(g.available(), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn a_permit_granted_to_a_waiter_that_then_gives_up_passes_on() {
        let g = gate(1);
        let (held, _) = g.acquire(50, &Bounds::default()).await.unwrap();
        // Queue a waiter, then release (the permit is sent to it) and drop
        // its future before it is polled again.
        let unbounded = Bounds::default();
        let mut fut = Box::pin(g.acquire(50, &unbounded));
        assert!(futures_poll_once(fut.as_mut()).is_none());
        drop(held);
        assert_eq!(g.available(), 0, "sent to the waiter");
        drop(fut);
        assert_eq!(g.available(), 1, "given back, not lost");
    }

    /// Polls a future once with a no-op waker.
    fn futures_poll_once<F: std::future::Future>(fut: std::pin::Pin<&mut F>) -> Option<F::Output> {
        let waker = std::task::Waker::noop();
        let mut cx = std::task::Context::from_waker(waker);
        match fut.poll(&mut cx) {
            std::task::Poll::Ready(v) => Some(v),
            std::task::Poll::Pending => None,
        }
    }

    #[test]
    fn the_blocking_form_waits_for_a_release_on_another_thread() {
        let g = gate(1);
        let (held, _) = g.acquire_blocking(50, &Bounds::default()).unwrap();
        std::thread::scope(|s| {
            let other = s.spawn(|| {
                let (_p, waited) = g.acquire_blocking(50, &Bounds::default()).unwrap();
                waited
            });
            // The other thread queues (or finds the permit after the drop
            // below); either way it gets exactly the one permit.
            while g.lock().waiters.is_empty() && !other.is_finished() {
                std::thread::yield_now();
            }
            drop(held);
            assert!(other.join().unwrap());
        });
        assert_eq!(g.available(), 1);
    }
}
