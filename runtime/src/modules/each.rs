//! Modules whose parameters all have one type: a sum over any number of
//! inputs, the maximum of a list of scores, the concatenation of strings.
//!
//! [`ModuleInputs::all`] checks every parameter once and then hands them
//! out as an iterator of owned values ([`Each`]), with no allocation (for
//! scalars) and one `Result` for the lot; [`ModuleInputs::ints`] and
//! friends are its common cases. [`Module::sync_each`] and
//! [`Module::asynchronous_each`] are the typed forms over it: the
//! function receives the values, its signature follows from its types,
//! and the parameters' names are the only thing spelled out.
//!
//! ```
//! use asterism_compiler::{CType, CValue, DagBuilder};
//! use asterism_runtime::{Each, Module, Program, Registry, RuntimeConfig};
//!
//! let mut registry = Registry::new();
//! registry.register(Module::sync_each("sum3", &["a", "b", "c"], "out", |xs: Each<'_, i64>| {
//!     xs.sum::<i64>()
//! }));
//!
//! let mut b = DagBuilder::new("sum");
//! let m = b.module("sum3");
//! for name in ["a", "b", "c"] {
//!     let d = b.input(name, CType::Int);
//!     b.bind(d, m, name);
//! }
//! let out = b.produce(m, "out", "total", CType::Int);
//! b.output("total", out);
//!
//! let program = Program::load(&b.build(), &registry, &RuntimeConfig::default()).unwrap();
//! let inputs = ["a", "b", "c"].map(|n| program.input(n).unwrap());
//! let result = program
//!     .run_sync(inputs.into_iter().zip([1, 2, 39]).map(|(i, v)| (i, CValue::Int(v))))
//!     .unwrap();
//! assert_eq!(result.output_named("total"), Some(&CValue::Int(42)));
//! ```

use std::future::Future;
use std::marker::PhantomData;
use std::sync::Arc;

use asterism_compiler::{CValue, ModuleSignature, Port, SlotIx};

use crate::modules::io::{ModuleError, ModuleInputs, ModuleOutput};
use crate::modules::module::{Body, Module, TypedBodies};
use crate::modules::typed::{checked_value, FromValue, IntoOutcome, IntoValue};
use crate::state::slot::Slot;

/// A module's parameters, all of type `T`, in parameter order: an
/// iterator of owned values, exactly as long as the parameter list.
///
/// Made by [`ModuleInputs::all`] after it has checked every parameter, so
/// it never fails; [`Module::sync_each`] hands one to its function.
#[derive(Clone)]
pub struct Each<'a, T> {
    inputs: ModuleInputs<'a>,
    next: usize,
    _of: PhantomData<fn() -> T>,
}

impl<T> std::fmt::Debug for Each<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Each")
            .field("left", &(self.inputs.len() - self.next))
            .finish()
    }
}

impl<T: FromValue> Iterator for Each<'_, T> {
    type Item = T;

    #[inline]
    fn next(&mut self) -> Option<T> {
        while self.next < self.inputs.len() {
            let i = self.next;
            self.next += 1;
            // Checked by `ModuleInputs::all`: every read succeeds. A value
            // that did not would be left out rather than panic.
            if let Some(v) = self.inputs.get(i).ok().and_then(T::from_value) {
                return Some(v);
            }
        }
        None
    }

    #[inline]
    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.inputs.len() - self.next;
        (left, Some(left))
    }
}

impl<T: FromValue> ExactSizeIterator for Each<'_, T> {}

impl<'a> ModuleInputs<'a> {
    /// Every parameter as a `T`, in order, after checking each one: an
    /// error names the first parameter that is missing or of another type.
    /// No allocation for scalar `T` (a `String` is cloned out of its slot,
    /// once for the check and once when read).
    ///
    /// ```
    /// use asterism_compiler::{CType, ModuleSignature, Port};
    /// use asterism_runtime::{Module, ModuleError};
    ///
    /// let sig = ModuleSignature {
    ///     name: "sum".into(),
    ///     params: ["a", "b", "c"].map(|n| Port::new(n, CType::Int)).to_vec(),
    ///     outputs: vec![Port::new("out", CType::Int)],
    ///     default_timeout: None,
    /// };
    /// // Before: `(0..inputs.len()).map(|i| inputs.int(i))` and a
    /// // `map_while` or a `collect::<Result<Vec<_>, _>>()`.
    /// let sum = Module::raw_sync(sig, |inputs, outputs| {
    ///     let total: i64 = inputs.ints()?.sum();
    ///     outputs.set(0, total.into())
    /// });
    /// # let _ = sum;
    /// ```
    pub fn all<T: FromValue>(&self) -> Result<Each<'a, T>, ModuleError> {
        for i in 0..self.len() {
            let v = self.get(i)?;
            if T::from_value(v).is_none() {
                return Err(self.mistyped(i, &T::ctype().to_string(), v));
            }
        }
        Ok(Each {
            inputs: *self,
            next: 0,
            _of: PhantomData,
        })
    }

    /// Every parameter as an `Int` ([`ModuleInputs::all`]).
    #[inline]
    pub fn ints(&self) -> Result<Each<'a, i64>, ModuleError> {
        self.all()
    }

    /// Every parameter as a `Float` ([`ModuleInputs::all`]).
    #[inline]
    pub fn floats(&self) -> Result<Each<'a, f64>, ModuleError> {
        self.all()
    }

    /// Every parameter as a `Boolean` ([`ModuleInputs::all`]).
    #[inline]
    pub fn bools(&self) -> Result<Each<'a, bool>, ModuleError> {
        self.all()
    }
}

/// The signature of a module whose parameters all have type `T`.
fn each_signature<T: FromValue>(
    name: &str,
    params: &[&str],
    output: &str,
    output_type: asterism_compiler::CType,
) -> ModuleSignature {
    ModuleSignature {
        name: name.to_owned(),
        params: params.iter().map(|p| Port::new(*p, T::ctype())).collect(),
        outputs: vec![Port::new(output, output_type)],
        default_timeout: None,
    }
}

impl Module {
    /// A sync module over any number of parameters of one type `T`: the
    /// function receives them as an iterator ([`Each`]) and returns a value
    /// or a `Result<value, impl Display>`, as [`Module::sync`]'s do. It
    /// runs on the typed path (its value is written in place, with no type
    /// check and no allocation for scalars).
    ///
    /// ```
    /// use asterism_runtime::{Each, Module};
    ///
    /// let max = Module::sync_each("max", &["a", "b", "c", "d"], "out", |xs: Each<'_, f64>| {
    ///     xs.fold(f64::NEG_INFINITY, f64::max)
    /// });
    /// assert_eq!(max.signature().params.len(), 4);
    /// ```
    pub fn sync_each<T, R, F>(name: &str, params: &[&str], output: &str, f: F) -> Module
    where
        T: FromValue + 'static,
        R: IntoOutcome,
        F: Fn(Each<'_, T>) -> R + Send + Sync + 'static,
    {
        let signature = each_signature::<T>(name, params, output, R::Value::ctype());
        let f = Arc::new(f);
        let with_values = {
            let f = f.clone();
            move |inputs: &ModuleInputs<'_>| -> Result<CValue, ModuleError> {
                Ok(checked_value(f(inputs.all::<T>()?).into_outcome()?))
            }
        };
        let sig = signature.clone();
        let in_slots = move |slots: &mut [Slot<CValue>],
                             row: &[SlotIx],
                             out: usize|
              -> Result<(), Box<ModuleError>> {
            // The values are owned (`FromValue` reads them out), so the
            // slots are free again for the write.
            let value = {
                let inputs = ModuleInputs::from_slots(slots, row, &sig);
                let args = inputs.all::<T>().map_err(Box::new)?;
                checked_value(f(args).into_outcome().map_err(Box::new)?)
            };
            match slots.get_mut(out) {
                Some(slot) => {
                    let written = slot.set_mut(value);
                    debug_assert!(written.is_ok(), "a typed module's output slot is empty");
                    Ok(())
                }
                None => Err(Box::new(ModuleError::new(format!(
                    "module `{}` was given no output slot (an executor bug)",
                    sig.name
                )))),
            }
        };
        Module {
            signature,
            body: Body::Typed(Arc::new(TypedBodies {
                in_slots: Box::new(in_slots),
                with_values: Box::new(with_values),
            })),
        }
    }

    /// An async module over any number of parameters of one type `T`: the
    /// function receives their values, in order, and returns a future of a
    /// value or a `Result<value, impl Display>`; no boxing on the caller's
    /// side. Each call allocates the list of values and the boxed future
    /// (a fixed number of parameters, through [`Module::asynchronous`],
    /// allocates neither).
    ///
    /// ```
    /// use asterism_runtime::Module;
    ///
    /// let total = Module::asynchronous_each("total", &["a", "b", "c"], "out", |xs: Vec<i64>| async move {
    ///     xs.iter().sum::<i64>()
    /// });
    /// assert!(total.is_async());
    /// ```
    pub fn asynchronous_each<T, R, Fut, F>(
        name: &str,
        params: &[&str],
        output: &str,
        f: F,
    ) -> Module
    where
        T: FromValue + Send + 'static,
        R: IntoOutcome,
        Fut: Future<Output = R> + Send + 'static,
        F: Fn(Vec<T>) -> Fut + Send + Sync + 'static,
    {
        let signature = each_signature::<T>(name, params, output, R::Value::ctype());
        Module::raw_async(signature, move |inputs| match inputs.all::<T>() {
            Err(e) => Box::pin(std::future::ready(Err(e))),
            Ok(args) => {
                let fut = f(args.collect());
                Box::pin(
                    async move { Ok(ModuleOutput::One(checked_value(fut.await.into_outcome()?))) },
                )
            }
        })
    }
}
