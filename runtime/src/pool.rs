//! `StatePool`: a bounded, lock-free pool of reset execution states.
//!
//! Acquire pops a state (a *hit*) or builds one (a *miss*). The RAII
//! [`StateGuard`] owns the state for the execution and its result; when it
//! drops, it cancels whatever a dropped execution left running (rule S7),
//! resets the state in place (rule S9) and pushes it back (a *return*), or
//! drops it when the pool is full (a *drop*). Only a `Box` owned by the
//! guard reaches the pool, so no module, future or reader can still touch a
//! pooled state (rule S10).
//!
//! The idle states form a LIFO stack behind a mutex: the next execution gets
//! the state returned last, whose cache lines are still warm. (A FIFO queue,
//! as crossbeam's `ArrayQueue`, hands out the coldest state instead: with 32
//! idle states of a 1,000-node plan, every execution started with a few
//! hundred kilobytes out of cache, and pooled runs were slower than unpooled
//! ones.) The lock is held for one `Vec::push` or `pop`; uncontended it costs
//! the same two atomic operations as a lock-free queue.

use std::sync::{Mutex, MutexGuard, PoisonError};

use asterism_compiler::Plan;

use crate::state::ExecutionState;
use crate::sync::{AtomicU64, Ordering};

/// Pool counters, read with [`StatePool::stats`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PoolStats {
    /// Acquires served from the pool.
    pub hits: u64,
    /// Acquires that built a new state.
    pub misses: u64,
    /// States reset and put back.
    pub returns: u64,
    /// States dropped because the pool was full or pooling is off.
    pub drops: u64,
    /// States reset in place.
    pub resets: u64,
    /// States built ahead of use by `prewarm`.
    pub prewarmed: u64,
}

/// A bounded pool of execution states for one plan.
#[derive(Debug)]
pub struct StatePool {
    /// `None` when pooling is off.
    queue: Option<IdleStack>,
    hits: AtomicU64,
    misses: AtomicU64,
    returns: AtomicU64,
    drops: AtomicU64,
    resets: AtomicU64,
    prewarmed: AtomicU64,
}

impl StatePool {
    /// A pool holding at most `capacity` states; `0` turns pooling off.
    pub fn new(capacity: usize) -> Self {
        StatePool {
            queue: (capacity > 0).then(|| IdleStack::new(capacity)),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
            returns: AtomicU64::new(0),
            drops: AtomicU64::new(0),
            resets: AtomicU64::new(0),
            prewarmed: AtomicU64::new(0),
        }
    }

    /// Builds states until the pool holds `count` (or is full).
    pub fn prewarm(&self, plan: &Plan, count: usize) {
        let Some(queue) = &self.queue else { return };
        while queue.len() < count.min(queue.capacity) {
            if queue.push(Box::new(ExecutionState::new(plan))).is_err() {
                break;
            }
            self.prewarmed.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// How many states wait in the pool.
    pub fn idle(&self) -> usize {
        self.queue.as_ref().map_or(0, IdleStack::len)
    }

    /// The pool's capacity (0 when pooling is off).
    pub fn capacity(&self) -> usize {
        self.queue.as_ref().map_or(0, |q| q.capacity)
    }

    /// The counters.
    pub fn stats(&self) -> PoolStats {
        PoolStats {
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
            returns: self.returns.load(Ordering::Relaxed),
            drops: self.drops.load(Ordering::Relaxed),
            resets: self.resets.load(Ordering::Relaxed),
            prewarmed: self.prewarmed.load(Ordering::Relaxed),
        }
    }

    /// A clean state for `plan`, from the pool if one waits.
    pub fn acquire(&self, plan: &Plan) -> Box<ExecutionState> {
        if let Some(state) = self.queue.as_ref().and_then(IdleStack::pop) {
            self.hits.fetch_add(1, Ordering::Relaxed);
            return state;
        }
        self.misses.fetch_add(1, Ordering::Relaxed);
        Box::new(ExecutionState::new(plan))
    }

    /// Resets a state and keeps it, or drops it if the pool is full.
    pub fn release(&self, mut state: Box<ExecutionState>, plan: &Plan) {
        let Some(queue) = &self.queue else {
            self.drops.fetch_add(1, Ordering::Relaxed);
            return;
        };
        if queue.is_full() {
            self.drops.fetch_add(1, Ordering::Relaxed);
            return;
        }
        state.reset(plan);
        self.resets.fetch_add(1, Ordering::Relaxed);
        match queue.push(state) {
            Ok(()) => {
                self.returns.fetch_add(1, Ordering::Relaxed);
            }
            Err(_) => {
                self.drops.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

/// Idle states, most recently returned on top. Boxed because a state moves
/// between the pool and its guard by pointer, never by copy.
#[allow(clippy::vec_box)]
#[derive(Debug)]
struct IdleStack {
    states: Mutex<Vec<Box<ExecutionState>>>,
    capacity: usize,
    /// The stack's length, mirrored outside the lock: a hint for `is_full`,
    /// which decides whether a state is worth resetting before the push.
    len_hint: std::sync::atomic::AtomicUsize,
}

impl IdleStack {
    fn new(capacity: usize) -> Self {
        IdleStack {
            states: Mutex::new(Vec::with_capacity(capacity)),
            capacity,
            len_hint: std::sync::atomic::AtomicUsize::new(0),
        }
    }

    #[allow(clippy::vec_box)]
    fn lock(&self) -> MutexGuard<'_, Vec<Box<ExecutionState>>> {
        // Nothing panics while the lock is held (push within capacity, pop),
        // so a poisoned lock still guards a consistent Vec.
        self.states.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn pop(&self) -> Option<Box<ExecutionState>> {
        let mut states = self.lock();
        let state = states.pop();
        self.len_hint
            .store(states.len(), std::sync::atomic::Ordering::Relaxed);
        state
    }

    fn push(&self, state: Box<ExecutionState>) -> Result<(), Box<ExecutionState>> {
        let mut states = self.lock();
        if states.len() >= self.capacity {
            return Err(state);
        }
        states.push(state);
        self.len_hint
            .store(states.len(), std::sync::atomic::Ordering::Relaxed);
        Ok(())
    }

    fn len(&self) -> usize {
        self.lock().len()
    }

    /// A hint: the push that follows still checks under the lock.
    fn is_full(&self) -> bool {
        self.len_hint.load(std::sync::atomic::Ordering::Relaxed) >= self.capacity
    }
}

/// Owns one execution's state from acquire to release.
pub(crate) struct StateGuard<'p> {
    pub(crate) plan: &'p Plan,
    /// `None` for a state that is not returned (the reference executor's).
    pool: Option<&'p StatePool>,
    state: Option<Box<ExecutionState>>,
    /// Set when the execution ran to its end; otherwise drop cancels first.
    pub(crate) finished: bool,
    pub(crate) record_latency: bool,
}

impl<'p> StateGuard<'p> {
    pub(crate) fn pooled(pool: &'p StatePool, plan: &'p Plan, record_latency: bool) -> Self {
        StateGuard {
            plan,
            state: Some(pool.acquire(plan)),
            pool: Some(pool),
            finished: false,
            record_latency,
        }
    }

    pub(crate) fn unpooled(
        state: Box<ExecutionState>,
        plan: &'p Plan,
        record_latency: bool,
    ) -> Self {
        StateGuard {
            plan,
            state: Some(state),
            pool: None,
            finished: false,
            record_latency,
        }
    }

    #[inline]
    pub(crate) fn state(&self) -> &ExecutionState {
        self.state
            .as_deref()
            .expect("the state is present until drop")
    }

    #[inline]
    pub(crate) fn state_mut(&mut self) -> &mut ExecutionState {
        self.state
            .as_deref_mut()
            .expect("the state is present until drop")
    }
}

impl Drop for StateGuard<'_> {
    fn drop(&mut self) {
        let Some(mut state) = self.state.take() else {
            return;
        };
        if !self.finished {
            // The execution future was dropped mid-run (rule S7).
            state.cancel_all();
        }
        debug_assert!(
            state.all_terminal() || !self.finished,
            "a finished run leaves every node done"
        );
        if let Some(pool) = self.pool {
            pool.release(state, self.plan);
        }
    }
}
