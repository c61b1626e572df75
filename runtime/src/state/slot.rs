//! `Slot`: a write-once data slot with `OnceLock`'s contract.
//!
//! Empty until its producer writes it, then read-only until the owner
//! empties it through `&mut`. The design card asked for `OnceLock`; this is
//! the same contract in a smaller implementation: `OnceLock::set` goes
//! through `Once::call_once_force` (a closure, a futex-capable state
//! machine, about 80 instructions), while this slot's `set` is one
//! compare-exchange and one release store. The other gain: under
//! `cfg(asterism_loom)` this exact code runs on loom's atomic and cell, so
//! the loom models check the slot that ships, not a stand-in.
//!
//! The state byte:
//!
//! ```text
//! EMPTY --set (CAS, Acquire)--> WRITING --store (Release)--> FULL
//!   ^                                                          |
//!   +------------------- take / clear (&mut) ------------------+
//! ```
//!
//! Rules, cited by the `SAFETY` comments below:
//!
//! - **W1.** Only the caller that wins the `EMPTY -> WRITING` exchange writes
//!   the value, and only until it publishes `FULL`.
//! - **W2.** Readers touch the value only after loading `FULL` with Acquire,
//!   which happens after the writer's Release store, so the write is
//!   visible and finished; nothing writes the value while it is `FULL`.
//! - **W3.** `take`, `clear` and `set_mut` hold `&mut self`: no reader or
//!   writer exists, so they use plain loads and stores (no
//!   read-modify-write).
//!
//! The value is `Some` exactly when the state is `FULL` (or `WRITING`, only
//! inside `set`), so dropping the slot drops a value it holds.

use crate::state::sync::{load_mut, store_mut, AtomicU8, Ordering, UnsafeCell};

const EMPTY: u8 = 0;
const WRITING: u8 = 1;
const FULL: u8 = 2;

/// A write-once cell.
#[derive(Debug)]
pub(crate) struct Slot<T> {
    state: AtomicU8,
    value: UnsafeCell<Option<T>>,
}

// SAFETY: shared access only reads the value after W2's Acquire, and the one
// write happens under W1's exclusive claim, as for `OnceLock<T>`, which is
// `Sync` when `T: Send + Sync` (Send: a value written by one thread is
// dropped by another).
unsafe impl<T: Send + Sync> Sync for Slot<T> {}

impl<T> Default for Slot<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> Slot<T> {
    pub(crate) fn new() -> Self {
        Slot {
            state: AtomicU8::new(EMPTY),
            value: UnsafeCell::new(None),
        }
    }

    /// Writes the value; `Err` gives it back if the slot was written before.
    #[inline]
    pub(crate) fn set(&self, value: T) -> Result<(), T> {
        if self
            .state
            .compare_exchange(EMPTY, WRITING, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            return Err(value);
        }
        // SAFETY: W1: winning the exchange makes this the only writer, and no
        // reader looks before FULL (W2). The old value is `None` (EMPTY), so
        // the assignment drops nothing that could panic.
        self.value.with_mut(|p| unsafe { *p = Some(value) });
        self.state.store(FULL, Ordering::Release);
        Ok(())
    }

    /// The value, if written.
    #[inline]
    pub(crate) fn get(&self) -> Option<&T> {
        if self.state.load(Ordering::Acquire) != FULL {
            return None;
        }
        // SAFETY: W2: FULL was published with Release after the only write,
        // and the value does not change until `take` through `&mut` (W3).
        self.value.with(|p| unsafe { (*p).as_ref() })
    }

    /// Writes an empty slot through `&mut` (W3): the executor's path, with
    /// no atomic read-modify-write. Refused, handing the value back, when
    /// the slot is already written.
    #[inline]
    pub(crate) fn set_mut(&mut self, value: T) -> Result<(), T> {
        if load_mut(&mut self.state) != EMPTY {
            return Err(value);
        }
        // An EMPTY slot holds `None`: there is nothing to drop, so the
        // replaced value is forgotten rather than run through drop glue.
        let old = self.value.get_mut().replace(value);
        debug_assert!(old.is_none(), "an EMPTY slot holds no value");
        std::mem::forget(old);
        store_mut(&mut self.state, FULL);
        Ok(())
    }

    /// Empties the slot in place (W3), running drop glue only for a value
    /// that `owns_heap` says needs it: resetting a slot that holds a scalar
    /// is then two stores, with no move of the value and no call.
    #[inline]
    pub(crate) fn clear(&mut self, owns_heap: impl FnOnce(&T) -> bool) {
        store_mut(&mut self.state, EMPTY);
        let value = self.value.get_mut();
        if value.as_ref().is_some_and(owns_heap) {
            *value = None;
        } else {
            // `None`, or a value with nothing to drop: forgetting it frees
            // nothing.
            std::mem::forget(value.take());
        }
    }

    /// Empties the slot, returning the value it held.
    #[inline]
    pub(crate) fn take(&mut self) -> Option<T> {
        store_mut(&mut self.state, EMPTY);
        // W3: `&mut self` excludes every other access.
        self.value.get_mut().take()
    }
}

#[cfg(all(test, not(asterism_loom)))]
mod tests {
    use super::*;

    #[test]
    fn written_once_then_read_until_taken() {
        let mut s = Slot::new();
        assert_eq!(s.get(), None);
        assert_eq!(s.set(1), Ok(()));
        assert_eq!(s.set(2), Err(2));
        assert_eq!(s.get(), Some(&1));
        assert_eq!(s.take(), Some(1));
        assert_eq!(s.get(), None);
        assert_eq!(s.set(3), Ok(()));
        assert_eq!(s.get(), Some(&3));
        assert_eq!(s.set_mut(4), Err(4), "set_mut refuses a written slot");
        assert_eq!(s.take(), Some(3));
        assert_eq!(s.set_mut(5), Ok(()));
        assert_eq!(s.get(), Some(&5));
        assert_eq!(s.set(6), Err(6), "set refuses a slot set_mut wrote");
    }

    #[test]
    fn dropping_a_full_slot_drops_its_value() {
        let v = std::sync::Arc::new(());
        let s = Slot::new();
        s.set(v.clone()).unwrap();
        assert_eq!(std::sync::Arc::strong_count(&v), 2);
        drop(s);
        assert_eq!(std::sync::Arc::strong_count(&v), 1);
    }

    #[test]
    fn clear_empties_the_slot_and_drops_a_value_that_owns_memory() {
        let v = std::sync::Arc::new(());
        let mut s = Slot::new();
        s.set_mut(v.clone()).unwrap();
        s.clear(|_| true);
        assert_eq!(std::sync::Arc::strong_count(&v), 1, "the value was dropped");
        assert_eq!(s.get(), None);
        s.clear(|_| true);
        assert_eq!(s.set_mut(v.clone()), Ok(()), "a cleared slot is writable");

        let mut scalar = Slot::new();
        scalar.set_mut(7_i64).unwrap();
        scalar.clear(|_| false);
        assert_eq!(scalar.get(), None);
        assert_eq!(scalar.set_mut(8), Ok(()));
        assert_eq!(scalar.get(), Some(&8));
    }

    #[test]
    fn concurrent_writers_have_one_winner() {
        let s = Slot::new();
        let wins: usize = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..4)
                .map(|i| {
                    scope.spawn({
                        let s = &s;
                        move || s.set(i).is_ok()
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| usize::from(h.join().unwrap()))
                .sum()
        });
        assert_eq!(wins, 1);
        assert!(s.get().is_some());
    }
}
