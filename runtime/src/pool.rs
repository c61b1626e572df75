//! `StatePool`: a bounded, sharded pool of reset execution states.
//!
//! Acquire pops a state (a *hit*) or builds one (a *miss*). The RAII
//! `StateGuard` owns the state for the execution and its result; when it
//! drops, it cancels whatever a dropped execution left running (rule S7),
//! resets the state in place (rule S9) and pushes it back (a *return*), or
//! drops it when the pool is full (a *drop*). Only a `Box` owned by the
//! guard reaches the pool, so no module, future or reader can still touch a
//! pooled state (rule S10).
//!
//! The idle states form LIFO stacks behind mutexes, one per shard (see
//! `shard.rs`): the next execution on a thread gets the state that
//! thread returned last, whose cache lines are still warm, and threads do
//! not contend for one lock. (A FIFO queue,
//! as crossbeam's `ArrayQueue`, hands out the coldest state instead: with 32
//! idle states of a 1,000-node plan, every execution started with a few
//! hundred kilobytes out of cache, and pooled runs were slower than unpooled
//! ones.) The lock is held for one `Vec::push` or `pop`; uncontended it costs
//! the same two atomic operations as a lock-free queue.

use std::sync::{Mutex, MutexGuard, PoisonError};

use asterism_compiler::Plan;

use crate::shard::{self, Padded, SHARDS};
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
    /// One idle stack per shard; `None` when pooling is off.
    stacks: Option<Box<[Padded<IdleStack>]>>,
    capacity: usize,
    /// One set of counters per shard.
    counters: Box<[Padded<PoolCounters>]>,
}

/// One shard's pool counters.
#[derive(Debug, Default)]
struct PoolCounters {
    hits: AtomicU64,
    misses: AtomicU64,
    returns: AtomicU64,
    drops: AtomicU64,
    resets: AtomicU64,
    prewarmed: AtomicU64,
}

fn bump(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::Relaxed);
}

impl StatePool {
    /// A pool holding at most `capacity` states; `0` turns pooling off.
    ///
    /// The capacity is split across the shards (shard `i` holds
    /// `capacity / SHARDS`, plus one for the first `capacity % SHARDS`), so
    /// the pool never holds more than `capacity` states in all; a thread
    /// whose own shard is empty (or full) takes from (or gives to) the
    /// others.
    pub fn new(capacity: usize) -> Self {
        let stacks = (capacity > 0).then(|| {
            (0..SHARDS)
                .map(|i| {
                    let share = capacity / SHARDS + usize::from(i < capacity % SHARDS);
                    Padded(IdleStack::new(share))
                })
                .collect()
        });
        StatePool {
            stacks,
            capacity,
            counters: shard::padded(),
        }
    }

    /// The calling thread's counters.
    fn counters(&self) -> &PoolCounters {
        &self.counters[shard::current()].0
    }

    /// Builds states until the pool holds `count` (or is full).
    pub fn prewarm(&self, plan: &Plan, count: usize) {
        let Some(stacks) = &self.stacks else { return };
        let want = count.min(self.capacity);
        'fill: while self.idle() < want {
            for stack in stacks.iter() {
                if !stack.0.is_full() {
                    if stack.0.push(Box::new(ExecutionState::new(plan))).is_ok() {
                        bump(&self.counters().prewarmed);
                    }
                    continue 'fill;
                }
            }
            break;
        }
    }

    /// States idle in the pool now.
    pub fn idle(&self) -> usize {
        self.stacks
            .as_ref()
            .map_or(0, |stacks| stacks.iter().map(|s| s.0.len()).sum())
    }

    /// The most states the pool keeps.
    pub fn capacity(&self) -> usize {
        if self.stacks.is_some() {
            self.capacity
        } else {
            0
        }
    }

    /// The counters so far, summed over the shards.
    pub fn stats(&self) -> PoolStats {
        let sum = |pick: fn(&PoolCounters) -> &AtomicU64| {
            self.counters
                .iter()
                .map(|c| pick(&c.0).load(Ordering::Relaxed))
                .fold(0u64, u64::wrapping_add)
        };
        PoolStats {
            hits: sum(|c| &c.hits),
            misses: sum(|c| &c.misses),
            returns: sum(|c| &c.returns),
            drops: sum(|c| &c.drops),
            resets: sum(|c| &c.resets),
            prewarmed: sum(|c| &c.prewarmed),
        }
    }

    /// A pooled state (the most recently returned one of this thread's
    /// shard, or of the next shard that has one), or a new one.
    pub fn acquire(&self, plan: &Plan) -> Box<ExecutionState> {
        if let Some(stacks) = &self.stacks {
            let own = shard::current();
            let found = stacks[own].0.pop().or_else(|| {
                (1..stacks.len()).find_map(|k| stacks[(own + k) % stacks.len()].0.pop())
            });
            if let Some(state) = found {
                bump(&self.counters[own].0.hits);
                return state;
            }
        }
        bump(&self.counters().misses);
        Box::new(ExecutionState::new(plan))
    }

    /// Resets a state and keeps it, or drops it if the pool is full.
    pub fn release(&self, mut state: Box<ExecutionState>, plan: &Plan) {
        let own = shard::current();
        let counters = &self.counters[own].0;
        let Some(stacks) = &self.stacks else {
            bump(&counters.drops);
            return;
        };
        let n = stacks.len();
        // Reset only a state that has somewhere to go: this thread's shard,
        // or the next one with room.
        let Some(first) = (0..n).find(|k| !stacks[(own + k) % n].0.is_full()) else {
            bump(&counters.drops);
            return;
        };
        state.reset(plan);
        bump(&counters.resets);
        for k in first..n {
            match stacks[(own + k) % n].0.push(state) {
                Ok(()) => {
                    bump(&counters.returns);
                    return;
                }
                Err(back) => state = back,
            }
        }
        // Every stack filled up meanwhile.
        bump(&counters.drops);
    }
}

/// Idle states, most recently returned on top. Boxed because a state moves
/// between the pool and its guard by pointer, never by copy.
#[allow(clippy::vec_box)]
#[derive(Debug)]
struct IdleStack {
    states: Mutex<Vec<Box<ExecutionState>>>,
    capacity: usize,
    /// The stack's length, mirrored outside the lock: a hint for `is_full`
    /// and for skipping an empty stack without locking it.
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
        if self.len_hint.load(std::sync::atomic::Ordering::Relaxed) == 0 {
            // A hint: a state pushed concurrently is found next time.
            return None;
        }
        let mut states = self.lock();
        let state = states.pop();
        self.len_hint
            .store(states.len(), std::sync::atomic::Ordering::Relaxed);
        state
    }

    fn push(&self, state: Box<ExecutionState>) -> Result<(), Box<ExecutionState>> {
        if self.capacity == 0 {
            return Err(state);
        }
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
