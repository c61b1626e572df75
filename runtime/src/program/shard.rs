//! Per-thread shards of what every execution touches: the metrics counters
//! and the pool's idle states.
//!
//! One counter (or one mutex) shared by every thread that runs executions
//! bounces its cache line between cores on every execution; with a handful
//! of such lines per execution, two workers spend much of their time waiting
//! for each other. Instead each thread picks one of [`SHARDS`] shards, once,
//! round-robin, and works on its own shard's line; readers sum the shards.
//! Threads beyond `SHARDS` share shards, which stays correct (the counters
//! are atomic, the idle stacks are locked), only less private.

use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};

/// How many shards: more than the threads a service usually runs
/// executions on, few enough that summing them is cheap.
pub(crate) const SHARDS: usize = 8;

/// A value alone on its cache lines (128 bytes: two lines, because
/// adjacent-line prefetch pairs them on x86).
#[derive(Debug, Default)]
#[repr(align(128))]
pub(crate) struct Padded<T>(pub(crate) T);

static NEXT_SHARD: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    static SHARD: Cell<usize> = const { Cell::new(usize::MAX) };
}

/// This thread's shard index, in `0..SHARDS`.
#[inline]
pub(crate) fn current() -> usize {
    SHARD.with(|s| {
        let i = s.get();
        if i < SHARDS {
            return i;
        }
        let i = NEXT_SHARD.fetch_add(1, Ordering::Relaxed) % SHARDS;
        s.set(i);
        i
    })
}

/// `SHARDS` padded values.
pub(crate) fn padded<T: Default>() -> Box<[Padded<T>]> {
    (0..SHARDS).map(|_| Padded::default()).collect()
}

#[cfg(all(test, not(asterism_loom)))]
mod tests {
    use super::*;

    #[test]
    fn a_thread_keeps_its_shard_and_threads_spread() {
        let here = current();
        assert!(here < SHARDS);
        assert_eq!(current(), here, "the same thread, the same shard");
        let others: Vec<usize> = (0..SHARDS)
            .map(|_| std::thread::spawn(current).join().unwrap())
            .collect();
        assert!(others.iter().all(|&i| i < SHARDS));
        let distinct: std::collections::BTreeSet<usize> = others.iter().copied().collect();
        assert!(
            distinct.len() > 1,
            "threads started one after another take different shards: {others:?}"
        );
    }

    #[test]
    fn padded_values_do_not_share_cache_lines() {
        assert_eq!(std::mem::align_of::<Padded<u64>>(), 128);
        let shards = padded::<u64>();
        assert_eq!(shards.len(), SHARDS);
        let a = &shards[0] as *const _ as usize;
        let b = &shards[1] as *const _ as usize;
        assert!(b - a >= 128);
    }
}
