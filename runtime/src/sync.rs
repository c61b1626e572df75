//! The one place atomics and write-once cells come from, so that the loom
//! models (`RUSTFLAGS="--cfg asterism_loom"`) check the same code that ships.
//!
//! Under `cfg(asterism_loom)` the atomics are loom's, and [`Slot`] is a small
//! stand-in for `OnceLock` (loom has none) built from a loom atomic and a
//! loom `UnsafeCell`, which lets loom see every access to the value.

#[cfg(asterism_loom)]
pub(crate) use loom::sync::atomic::{AtomicU32, AtomicU64, Ordering};
#[cfg(not(asterism_loom))]
pub(crate) use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

pub(crate) use slot::Slot;

#[cfg(not(asterism_loom))]
mod slot {
    use std::sync::OnceLock;

    /// A write-once data slot: empty until its producer writes it, then
    /// read-only until the owner resets it through `&mut`.
    #[derive(Debug, Default)]
    pub(crate) struct Slot<T>(OnceLock<T>);

    impl<T> Slot<T> {
        pub(crate) fn new() -> Self {
            Slot(OnceLock::new())
        }

        /// Writes the value; `Err` gives it back if the slot was full.
        #[inline]
        pub(crate) fn set(&self, value: T) -> Result<(), T> {
            self.0.set(value)
        }

        #[inline]
        pub(crate) fn get(&self) -> Option<&T> {
            self.0.get()
        }

        /// Empties the slot; exclusive access proves no reader remains.
        #[inline]
        pub(crate) fn take(&mut self) -> Option<T> {
            self.0.take()
        }
    }
}

#[cfg(asterism_loom)]
mod slot {
    use loom::cell::UnsafeCell;
    use loom::sync::atomic::{AtomicU8, Ordering};

    const EMPTY: u8 = 0;
    const WRITING: u8 = 1;
    const FULL: u8 = 2;

    /// Loom stand-in for the `OnceLock` slot: same contract, every access
    /// visible to loom.
    #[derive(Debug)]
    pub(crate) struct Slot<T> {
        state: AtomicU8,
        value: UnsafeCell<Option<T>>,
    }

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

        pub(crate) fn set(&self, value: T) -> Result<(), T> {
            if self
                .state
                .compare_exchange(EMPTY, WRITING, Ordering::Acquire, Ordering::Relaxed)
                .is_err()
            {
                return Err(value);
            }
            // SAFETY: winning the EMPTY -> WRITING exchange makes this the only
            // writer, and readers touch the value only after seeing FULL.
            self.value.with_mut(|p| unsafe { *p = Some(value) });
            self.state.store(FULL, Ordering::Release);
            Ok(())
        }

        pub(crate) fn get(&self) -> Option<&T> {
            if self.state.load(Ordering::Acquire) != FULL {
                return None;
            }
            // SAFETY: FULL was published with Release after the only write;
            // the value is not written again until `take` through `&mut`.
            self.value.with(|p| unsafe { (*p).as_ref() })
        }

        pub(crate) fn take(&mut self) -> Option<T> {
            self.state.with_mut(|s| *s = EMPTY);
            // SAFETY: `&mut self` excludes every other access.
            self.value.with_mut(|p| unsafe { (*p).take() })
        }
    }
}

/// Stores through `&mut`: a plain write in std, a modelled store under loom.
#[inline]
pub(crate) fn store_mut<A: StoreMut>(atomic: &mut A, value: A::Value) {
    atomic.store_mut(value);
}

/// Atomics that can be overwritten through exclusive access.
pub(crate) trait StoreMut {
    type Value;
    fn store_mut(&mut self, value: Self::Value);
}

macro_rules! store_mut_impl {
    ($atomic:ty, $value:ty) => {
        impl StoreMut for $atomic {
            type Value = $value;
            #[inline]
            fn store_mut(&mut self, value: $value) {
                #[cfg(not(asterism_loom))]
                {
                    *self.get_mut() = value;
                }
                #[cfg(asterism_loom)]
                {
                    self.store(value, Ordering::Relaxed);
                }
            }
        }
    };
}
store_mut_impl!(AtomicU32, u32);
store_mut_impl!(AtomicU64, u64);
