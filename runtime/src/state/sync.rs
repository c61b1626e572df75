//! The one place atomics and `UnsafeCell` come from, so that the loom
//! models (`RUSTFLAGS="--cfg asterism_loom"`) check the same code that ships.
//!
//! Under `cfg(asterism_loom)` the atomics and the `UnsafeCell` are loom's, so
//! loom sees every access the write-once slot (`slot.rs`) makes. This file
//! is the bottom of the crate: it imports nothing of it.

#[cfg(asterism_loom)]
pub(crate) use loom::sync::atomic::{AtomicU32, AtomicU64, Ordering};
#[cfg(not(asterism_loom))]
pub(crate) use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

#[cfg(asterism_loom)]
pub(crate) use loom::sync::atomic::AtomicU8;
#[cfg(not(asterism_loom))]
pub(crate) use std::sync::atomic::AtomicU8;

/// `UnsafeCell` with loom's access API (`with`, `with_mut`), so that the
/// slot's code is the same under loom and in std.
#[cfg(not(asterism_loom))]
#[derive(Debug, Default)]
pub(crate) struct UnsafeCell<T>(std::cell::UnsafeCell<T>);

#[cfg(not(asterism_loom))]
impl<T> UnsafeCell<T> {
    pub(crate) fn new(value: T) -> Self {
        UnsafeCell(std::cell::UnsafeCell::new(value))
    }

    #[inline]
    pub(crate) fn with<R>(&self, f: impl FnOnce(*const T) -> R) -> R {
        f(self.0.get())
    }

    #[inline]
    pub(crate) fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
        f(self.0.get())
    }

    #[inline]
    pub(crate) fn get_mut(&mut self) -> &mut T {
        self.0.get_mut()
    }
}

#[cfg(asterism_loom)]
#[derive(Debug)]
pub(crate) struct UnsafeCell<T>(loom::cell::UnsafeCell<T>);

#[cfg(asterism_loom)]
impl<T> UnsafeCell<T> {
    pub(crate) fn new(value: T) -> Self {
        UnsafeCell(loom::cell::UnsafeCell::new(value))
    }

    pub(crate) fn with<R>(&self, f: impl FnOnce(*const T) -> R) -> R {
        self.0.with(f)
    }

    pub(crate) fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
        self.0.with_mut(f)
    }

    pub(crate) fn get_mut(&mut self) -> &mut T {
        // SAFETY: `&mut self` excludes every other access; loom's cell only
        // lacks a safe `get_mut`.
        self.0.with_mut(|p| unsafe { &mut *p })
    }
}

/// Stores through `&mut`: a plain write in std, a modelled store under loom.
#[inline]
pub(crate) fn store_mut<A: StoreMut>(atomic: &mut A, value: A::Value) {
    atomic.store_mut(value);
}

/// Atomics that can be overwritten through exclusive access.
/// Reads an atomic through `&mut`: a plain load, because `&mut` proves no
/// other thread can reach it (loom: a relaxed load, so models still see it).
#[inline]
pub(crate) fn load_mut<A: StoreMut>(atomic: &mut A) -> A::Value {
    atomic.load_mut()
}

pub(crate) trait StoreMut {
    type Value;
    fn store_mut(&mut self, value: Self::Value);
    fn load_mut(&mut self) -> Self::Value;
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
            #[inline]
            fn load_mut(&mut self) -> $value {
                #[cfg(not(asterism_loom))]
                {
                    *self.get_mut()
                }
                #[cfg(asterism_loom)]
                {
                    self.load(Ordering::Relaxed)
                }
            }
        }
    };
}
store_mut_impl!(AtomicU32, u32);
store_mut_impl!(AtomicU64, u64);
store_mut_impl!(AtomicU8, u8);
