//! Dense indices assigned by `compile`, kept apart by newtypes.
//!
//! Every index is a `u32` into one of the [`Plan`](crate::Plan)'s parallel
//! arrays. Nodes (the things that run) are numbered modules first, then
//! transforms: `NodeIx(m)` is module `m`, `NodeIx(M + t)` is transform `t`.

use std::fmt;

macro_rules! index_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub u32);

        impl $name {
            /// The index as a `usize`, for slice access.
            #[inline]
            pub fn ix(self) -> usize {
                self.0 as usize
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}#{}", stringify!($name), self.0)
            }
        }
    };
}

index_type!(
    /// A module node.
    ModuleIx
);
index_type!(
    /// A data node's slot.
    SlotIx
);
index_type!(
    /// An inline transform node.
    TransformIx
);
index_type!(
    /// A schedulable node: a module or a transform.
    NodeIx
);
index_type!(
    /// A user input, resolved once from its name (see `Plan::input`).
    InputIx
);
index_type!(
    /// A declared output, resolved once from its name (see `Plan::output`).
    OutputIx
);

/// A compressed sparse row table: row `i` is `items[offsets[i]..offsets[i+1]]`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Csr<T> {
    offsets: Vec<u32>,
    items: Vec<T>,
}

impl<T: Copy> Csr<T> {
    /// Builds the table from rows.
    pub fn from_rows<R, I>(rows: R) -> Self
    where
        R: IntoIterator<Item = I>,
        I: IntoIterator<Item = T>,
    {
        let mut offsets = vec![0u32];
        let mut items = Vec::new();
        for row in rows {
            items.extend(row);
            offsets.push(u32::try_from(items.len()).expect("fewer than 2^32 CSR items"));
        }
        Csr { offsets, items }
    }

    /// Row `i`.
    #[inline]
    pub fn row(&self, i: usize) -> &[T] {
        let start = self.offsets[i] as usize;
        let end = self.offsets[i + 1] as usize;
        &self.items[start..end]
    }

    /// The number of rows.
    pub fn rows(&self) -> usize {
        self.offsets.len() - 1
    }

    /// All items, row after row.
    pub fn items(&self) -> &[T] {
        &self.items
    }
}
