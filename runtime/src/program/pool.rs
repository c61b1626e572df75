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
//!
//! The top of each stack lives outside the lock, in a `HotSlot` (`hot_slot.rs`): a thread
//! that runs executions one after another takes its state back, and
//! returns it, with one atomic swap each and no lock (`hot_slot.rs`). Only
//! a state the hot slot displaces goes under the lock.

use std::sync::{Mutex, MutexGuard, PoisonError};

use asterism_compiler::Plan;

use crate::program::shard::{self, Padded, SHARDS};
use crate::state::hot_slot::HotSlot;
use crate::state::sync::{AtomicU64, Ordering};
use crate::state::ExecutionState;

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
    /// One idle stack per shard; `None` when pooling is off. An array, so
    /// that a shard's index (taken modulo `SHARDS`, a power of two: a mask,
    /// not a division) needs no bounds check.
    stacks: Option<Box<[Padded<IdleStack>; SHARDS]>>,
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
    /// States reset, then dropped because every stack filled meanwhile.
    /// (Every other reset is a return: `resets` is the sum, which saves an
    /// atomic add per execution.)
    reset_then_dropped: AtomicU64,
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
            Box::new(std::array::from_fn(|i| {
                let share = capacity / SHARDS + usize::from(i < capacity % SHARDS);
                Padded(IdleStack::new(share))
            }))
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
            resets: sum(|c| &c.returns).wrapping_add(sum(|c| &c.reset_then_dropped)),
            prewarmed: sum(|c| &c.prewarmed),
        }
    }

    /// A pooled state (the most recently returned one of this thread's
    /// shard, or of the next shard that has one), or a new one.
    pub fn acquire(&self, plan: &Plan) -> Box<ExecutionState> {
        if let Some(stacks) = &self.stacks {
            let own = shard::current();
            let found = stacks[own]
                .0
                .pop()
                .or_else(|| (1..SHARDS).find_map(|k| stacks[(own + k) % SHARDS].0.pop()));
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
        // Reset only a state that has somewhere to go: this thread's shard,
        // or the next one with room.
        let Some(first) = (0..SHARDS).find(|k| !stacks[(own + k) % SHARDS].0.is_full()) else {
            bump(&counters.drops);
            return;
        };
        state.reset(plan);
        for k in first..SHARDS {
            match stacks[(own + k) % SHARDS].0.push(state) {
                Ok(()) => {
                    bump(&counters.returns);
                    return;
                }
                Err(back) => state = back,
            }
        }
        // Every stack filled up meanwhile.
        bump(&counters.drops);
        bump(&counters.reset_then_dropped);
    }
}

/// Idle states, most recently returned on top: the top in `hot`, the rest
/// under the lock. Boxed because a state moves between the pool and its
/// guard by pointer, never by copy.
#[allow(clippy::vec_box)]
#[derive(Debug)]
struct IdleStack {
    hot: HotSlot<ExecutionState>,
    /// Below the top: at most `capacity - 1`.
    states: Mutex<Vec<Box<ExecutionState>>>,
    capacity: usize,
    /// The locked stack's length, mirrored outside the lock: a hint for
    /// `is_full` and for skipping an empty stack without locking it.
    len_hint: std::sync::atomic::AtomicUsize,
}

impl IdleStack {
    fn new(capacity: usize) -> Self {
        IdleStack {
            hot: HotSlot::new(),
            // Room for what a shard usually holds; past that the stack grows
            // as executions return states (never sized by a huge capacity).
            states: Mutex::new(Vec::with_capacity(capacity.saturating_sub(1).min(64))),
            capacity,
            len_hint: std::sync::atomic::AtomicUsize::new(0),
        }
    }

    #[allow(clippy::vec_box)]
    fn lock(&self) -> MutexGuard<'_, Vec<Box<ExecutionState>>> {
        // Nothing panics while the lock is held (a push, which may grow the
        // Vec, or a pop),
        // so a poisoned lock still guards a consistent Vec.
        self.states.lock().unwrap_or_else(PoisonError::into_inner)
    }

    #[inline]
    fn pop(&self) -> Option<Box<ExecutionState>> {
        self.hot.take().or_else(|| self.pop_locked())
    }

    fn pop_locked(&self) -> Option<Box<ExecutionState>> {
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

    /// Puts `state` on top. When the stack is full, gives back a state
    /// (not necessarily this one: the top is swapped in first).
    #[inline]
    fn push(&self, state: Box<ExecutionState>) -> Result<(), Box<ExecutionState>> {
        if self.capacity == 0 {
            return Err(state);
        }
        match self.hot.put(state) {
            None => Ok(()),
            Some(displaced) => self.push_locked(displaced),
        }
    }

    fn push_locked(&self, state: Box<ExecutionState>) -> Result<(), Box<ExecutionState>> {
        let mut states = self.lock();
        if states.len() >= self.capacity - 1 {
            return Err(state);
        }
        states.push(state);
        self.len_hint
            .store(states.len(), std::sync::atomic::Ordering::Relaxed);
        Ok(())
    }

    /// Exact when no other thread is using the stack.
    fn len(&self) -> usize {
        usize::from(self.hot.is_occupied()) + self.lock().len()
    }

    /// A hint: the push that follows still checks under the lock.
    fn is_full(&self) -> bool {
        self.hot.is_occupied()
            && self.len_hint.load(std::sync::atomic::Ordering::Relaxed) + 1 >= self.capacity
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

#[cfg(all(test, not(asterism_loom)))]
mod tests {
    use super::*;
    use asterism_compiler::{compile, CType, DagBuilder, Signatures};

    use crate::modules::module::Module;

    fn one_module_plan() -> Plan {
        let inc = Module::sync("inc", ["v"], "out", |v: i64| v + 1);
        let sigs: Signatures = [inc.signature().clone()].into_iter().collect();
        let mut b = DagBuilder::seeded("pool", 2);
        let x = b.input("x", CType::Int);
        let m = b.module("inc");
        b.bind(x, m, "v");
        let out = b.produce(m, "out", "out", CType::Int);
        b.output("out", out);
        compile(&b.build(), &sigs).expect("valid")
    }

    #[test]
    fn the_last_state_returned_is_the_next_one_taken() {
        let plan = one_module_plan();
        // Two states per shard: both fit in this thread's own.
        let pool = StatePool::new(2 * SHARDS);
        let first = pool.acquire(&plan);
        let second = pool.acquire(&plan);
        let second_at: *const ExecutionState = &*second;
        pool.release(first, &plan);
        pool.release(second, &plan);
        assert_eq!(pool.idle(), 2);
        let again = pool.acquire(&plan);
        assert_eq!(&*again as *const ExecutionState, second_at, "LIFO");
        assert!(again.is_clean(&plan), "a pooled state is reset");
        let stats = pool.stats();
        assert_eq!((stats.misses, stats.hits), (2, 1));
        assert_eq!((stats.returns, stats.resets, stats.drops), (2, 2, 0));
    }

    #[test]
    fn the_pool_keeps_at_most_its_capacity_and_resets_only_what_it_keeps() {
        let plan = one_module_plan();
        // 10 over 8 shards: two shards hold two states, six hold one.
        let pool = StatePool::new(10);
        let states: Vec<_> = (0..13).map(|_| pool.acquire(&plan)).collect();
        for s in states {
            pool.release(s, &plan);
        }
        assert_eq!(pool.idle(), 10);
        let stats = pool.stats();
        assert_eq!((stats.returns, stats.drops), (10, 3));
        assert_eq!(stats.resets, 10, "the three dropped were not reset");
        let back: Vec<_> = (0..10).map(|_| pool.acquire(&plan)).collect();
        assert_eq!(pool.stats().hits, 10);
        assert_eq!(pool.idle(), 0);
        drop(back);
    }

    #[test]
    fn threads_sharing_a_pool_lose_no_state_and_exceed_no_capacity() {
        let plan = one_module_plan();
        let pool = StatePool::new(6);
        let rounds = 500;
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| {
                    for _ in 0..rounds {
                        let a = pool.acquire(&plan);
                        let b = pool.acquire(&plan);
                        pool.release(a, &plan);
                        pool.release(b, &plan);
                    }
                });
            }
        });
        let stats = pool.stats();
        assert_eq!(
            stats.hits + stats.misses,
            4 * rounds * 2,
            "every acquire counted"
        );
        assert_eq!(
            stats.returns + stats.drops,
            4 * rounds * 2,
            "every release counted"
        );
        assert!(pool.idle() <= 6);
        assert_eq!(
            pool.idle() as u64,
            stats.misses - stats.drops,
            "every state built is idle now or was dropped"
        );
    }
}
