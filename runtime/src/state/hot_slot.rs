//! `HotSlot`: one owned box behind one atomic pointer.
//!
//! The pool's fast path. A thread that runs executions one after another
//! returns a state and takes it back at the next execution; through a
//! mutex that is two atomic operations each way (lock, unlock) plus the
//! `Vec` around them. Through this slot it is one swap each way.
//!
//! Rules, cited by the `SAFETY` comments below:
//!
//! - **H1.** A non-null pointer held by the slot came from `Box::into_raw`
//!   and is owned by the slot alone: nothing else keeps it or reads through
//!   it.
//! - **H2.** The pointer leaves the slot only through an atomic swap, so
//!   each non-null pointer put in is handed to exactly one caller, who
//!   turns it back into the `Box` it was. The swaps are Release when
//!   putting in (the box's contents are published with the pointer) and
//!   Acquire when taking out (they are seen before use).

use std::ptr;
use std::sync::atomic::{AtomicPtr, Ordering};

/// An optional `Box<T>` that threads swap in and out without a lock.
pub(crate) struct HotSlot<T: Send> {
    ptr: AtomicPtr<T>,
}

impl<T: Send> HotSlot<T> {
    /// An empty slot.
    pub(crate) fn new() -> Self {
        HotSlot {
            ptr: AtomicPtr::new(ptr::null_mut()),
        }
    }

    /// Takes the box out, if there is one.
    #[inline]
    pub(crate) fn take(&self) -> Option<Box<T>> {
        // An empty slot costs a load, not a read-modify-write.
        if !self.is_occupied() {
            return None;
        }
        let p = self.ptr.swap(ptr::null_mut(), Ordering::Acquire);
        // SAFETY: H1 and H2: a non-null `p` came from `Box::into_raw`, and
        // this swap made this caller its only owner.
        (!p.is_null()).then(|| unsafe { Box::from_raw(p) })
    }

    /// Puts `value` in; gives back the box it displaced, if any.
    #[inline]
    pub(crate) fn put(&self, value: Box<T>) -> Option<Box<T>> {
        let p = self.ptr.swap(Box::into_raw(value), Ordering::AcqRel);
        // SAFETY: as in `take`: the displaced pointer is now this caller's
        // alone (H1, H2).
        (!p.is_null()).then(|| unsafe { Box::from_raw(p) })
    }

    /// Whether a box is in the slot (a snapshot: exact when no other
    /// thread is using the slot).
    #[inline]
    pub(crate) fn is_occupied(&self) -> bool {
        !self.ptr.load(Ordering::Relaxed).is_null()
    }
}

impl<T: Send> Drop for HotSlot<T> {
    fn drop(&mut self) {
        let p = *self.ptr.get_mut();
        if !p.is_null() {
            // SAFETY: `&mut self`: no swap can race; the pointer is the
            // slot's own (H1).
            drop(unsafe { Box::from_raw(p) });
        }
    }
}

impl<T: Send> Default for HotSlot<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Send> std::fmt::Debug for HotSlot<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HotSlot")
            .field("occupied", &self.is_occupied())
            .finish()
    }
}

#[cfg(all(test, not(asterism_loom)))]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;
    use std::sync::Arc;

    #[test]
    fn a_box_goes_in_and_out_once() {
        let slot = HotSlot::new();
        assert!(slot.take().is_none());
        assert!(slot.put(Box::new(1)).is_none());
        assert!(slot.is_occupied());
        assert_eq!(slot.put(Box::new(2)).as_deref(), Some(&1), "displaced");
        assert_eq!(slot.take().as_deref(), Some(&2));
        assert!(slot.take().is_none());
        assert!(!slot.is_occupied());
    }

    #[test]
    fn dropping_the_slot_drops_its_box() {
        let value = Arc::new(());
        let slot = HotSlot::new();
        slot.put(Box::new(value.clone()));
        assert_eq!(Arc::strong_count(&value), 2);
        drop(slot);
        assert_eq!(Arc::strong_count(&value), 1);
    }

    #[test]
    fn threads_swapping_lose_and_duplicate_nothing() {
        // Each thread puts its own boxes in and takes whatever is there;
        // every box must come out exactly once overall (counted by drops).
        struct Counted(Arc<AtomicUsize>);
        impl Drop for Counted {
            fn drop(&mut self) {
                self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            }
        }
        let dropped = Arc::new(AtomicUsize::new(0));
        let slot = Arc::new(HotSlot::new());
        let per_thread = 1000;
        std::thread::scope(|s| {
            for _ in 0..4 {
                let (slot, dropped) = (slot.clone(), dropped.clone());
                s.spawn(move || {
                    for _ in 0..per_thread {
                        drop(slot.put(Box::new(Counted(dropped.clone()))));
                        drop(slot.take());
                    }
                });
            }
        });
        drop(slot);
        assert_eq!(
            dropped.load(std::sync::atomic::Ordering::SeqCst),
            4 * per_thread
        );
    }
}
