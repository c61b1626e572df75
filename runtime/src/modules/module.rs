//! Modules: named implementations with a signature.
//!
//! A module is sync (a function the executor calls inline) or async (a
//! function returning a future the executor polls alongside the execution's
//! other in-flight modules). Most users register typed Rust functions
//! through [`Module::sync`] and [`Module::asynchronous`] (see
//! [`crate::modules::typed`]); [`Module::raw_sync`] and [`Module::raw_async`] take
//! [`CValue`]s directly, for dynamic modules and several outputs.

use std::fmt;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use asterism_compiler::{CType, CValue, ModuleSignature, Port, SlotIx};

use crate::modules::typed::{AsyncFn, FutureCell, SlotInputs, SyncFn};
use crate::state::slot::Slot;

pub use crate::modules::io::{BoxFuture, ModuleError, ModuleInputs, ModuleOutput, ModuleOutputs};

pub(crate) type SyncBody =
    dyn Fn(&ModuleInputs<'_>, &mut ModuleOutputs<'_>) -> Result<(), ModuleError> + Send + Sync;
pub(crate) type AsyncBody =
    dyn Fn(&ModuleInputs<'_>) -> BoxFuture<Result<ModuleOutput, ModuleError>> + Send + Sync;

/// A typed sync function with one output, called with the execution's
/// slots, the slots of its parameters (`row`) and its output slot (`out`,
/// empty), which it writes in place.
///
/// Why this shape: every argument travels in a register and the result is
/// one word (the error is boxed, and built only on failure), so a call
/// stores nothing on the stack for its arguments; and the value is built
/// where it is kept, never returned and copied. (A copy costs more than
/// its few instructions: the value was just written in pieces, a tag byte
/// and a payload, and reading it back in 16-byte moves cannot be forwarded
/// from those stores, so it waits for them to reach the cache.)
pub(crate) type TypedBody =
    dyn Fn(&mut [Slot<CValue>], &[SlotIx], usize) -> Result<(), Box<ModuleError>> + Send + Sync;

/// The same function for callers that hold values, not slots (the
/// reference executor): the inputs as a list, the output returned.
pub(crate) type TypedValueBody =
    dyn Fn(&ModuleInputs<'_>) -> Result<CValue, ModuleError> + Send + Sync;

/// A typed module's function in both forms, sharing the one function.
pub(crate) struct TypedBodies {
    /// The executor's form.
    pub(crate) in_slots: Box<TypedBody>,
    /// The reference executor's form.
    pub(crate) with_values: Box<TypedValueBody>,
}

#[derive(Clone)]
pub(crate) enum Body {
    /// From [`Module::sync`]: one output, of the type the function's
    /// signature promises (the executor stores it without a type check).
    ///
    /// Boxed inside the `Arc`: a call through `Arc<dyn Fn>` finds the
    /// closure by rounding the `Arc` header up to the closure's alignment,
    /// read from the vtable at every call; behind `Arc<Box<dyn Fn>>` it is at
    /// a fixed offset. Once per module per execution, it shows.
    Typed(Arc<TypedBodies>),
    /// From [`Module::raw_sync`]: writes its outputs through
    /// [`ModuleOutputs`], which checks each one's type.
    Sync(Arc<Box<SyncBody>>),
    /// From [`Module::asynchronous`]: one output, of the declared type by
    /// construction, which its future writes in place.
    TypedAsync(Arc<TypedAsyncBodies>),
    /// From [`Module::raw_async`]: its outputs are checked when stored.
    Async(Arc<Box<AsyncBody>>),
}

/// A typed async module's start in the executor's form: a new cell its
/// futures run in ([`crate::modules::typed::FutureCell`]), one per node per state.
pub(crate) type NewFutureCell = dyn Fn() -> Pin<Box<dyn FutureCell>> + Send + Sync;

/// A typed async module's function in both forms, sharing the function.
pub(crate) struct TypedAsyncBodies {
    /// The executor's form.
    pub(crate) new_cell: Box<NewFutureCell>,
    /// The reference executor's form (a future of the value).
    pub(crate) with_values: Box<AsyncBody>,
}

// The error paths of a typed call, out of line and cold: inline, their
// formatting and allocation would make every call save and restore more
// registers and set up a larger frame, failures or not.

#[cold]
#[inline(never)]
fn no_output_slot(signature: &ModuleSignature) -> Box<ModuleError> {
    Box::new(ModuleError::new(format!(
        "module `{}` was given no output slot (an executor bug)",
        signature.name
    )))
}

/// A typed sync module's inputs did not read on the fast path (or it has
/// no output slot): the whole call again through [`SyncFn::call`], which
/// says what is wrong. The protocol fills every input, with its declared
/// type, before a node starts, so for the built-in `FromValue` types this
/// is an executor bug, reported rather than trusted; a user's `FromValue`
/// may also refuse a value of the right type. The function is called only
/// if every input reads here (where the fast path's default reads none,
/// that is every call of a hand-written `SyncFn`).
#[cold]
#[inline(never)]
fn explain_failed_read<F: SyncFn<Args, N>, Args, const N: usize>(
    f: &F,
    signature: &ModuleSignature,
    slots: &mut [Slot<CValue>],
    row: &[SlotIx],
    out: usize,
) -> Result<(), Box<ModuleError>> {
    if out >= slots.len() {
        return Err(no_output_slot(signature));
    }
    let value = f
        .call(&ModuleInputs::from_slots(slots, row, signature))
        .map_err(boxed)?;
    let written = slots[out].set_mut(value);
    debug_assert!(written.is_ok(), "a typed module's output slot is empty");
    Ok(())
}

#[cold]
#[inline(never)]
fn boxed(e: ModuleError) -> Box<ModuleError> {
    Box::new(e)
}

/// A module implementation: a signature and a body.
#[derive(Clone)]
pub struct Module {
    pub(crate) signature: ModuleSignature,
    pub(crate) body: Body,
}

impl fmt::Debug for Module {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Module")
            .field("signature", &self.signature)
            .field("async", &self.is_async())
            .finish()
    }
}

/// The signature of a typed module: parameter names with their types, one output.
fn typed_signature<const N: usize>(
    name: &str,
    params: [&str; N],
    types: [CType; N],
    output: &str,
    output_type: CType,
) -> ModuleSignature {
    ModuleSignature {
        name: name.to_owned(),
        params: params
            .iter()
            .zip(types)
            .map(|(n, t)| Port::new(*n, t))
            .collect(),
        outputs: vec![Port::new(output, output_type)],
        default_timeout: None,
    }
}

impl Module {
    /// A sync module from a typed function of up to sixteen parameters:
    /// `Module::sync("stdlib.add", ["a", "b"], "out", |a: i64, b: i64| a + b)`.
    /// The function may return a value or a `Result<value, impl Display>`.
    ///
    /// ```
    /// use asterism_runtime::Module;
    ///
    /// let mean = Module::sync(
    ///     "mean8",
    ///     ["a", "b", "c", "d", "e", "f", "g", "h"],
    ///     "out",
    ///     |a: f64, b: f64, c: f64, d: f64, e: f64, f: f64, g: f64, h: f64| {
    ///         (a + b + c + d + e + f + g + h) / 8.0
    ///     },
    /// );
    /// assert_eq!(mean.signature().params.len(), 8);
    /// ```
    ///
    /// For any number of parameters of one type, see [`Module::sync_each`].
    pub fn sync<F, Args, const N: usize>(
        name: &str,
        params: [&str; N],
        output: &str,
        f: F,
    ) -> Module
    where
        F: SyncFn<Args, N>,
    {
        let signature = typed_signature(name, params, F::param_types(), output, F::output_type());
        let f = Arc::new(f);
        let with_values = {
            let f = f.clone();
            move |inputs: &ModuleInputs<'_>| f.call(inputs)
        };
        Module {
            signature: signature.clone(),
            body: Body::Typed(Arc::new(TypedBodies {
                with_values: Box::new(with_values),
                // The closure's own copy of the signature, for names in
                // error messages.
                in_slots: Box::new(
                    move |slots: &mut [Slot<CValue>], row: &[SlotIx], out: usize| {
                        // Every input there and of its type, the common case,
                        // read without building any error: a failed read goes
                        // to the cold path, a tail call that reads again to
                        // say what is wrong. Here, no value lives across a
                        // call, so the body needs no saved registers.
                        let Some(args) = F::args_in_slots(SlotInputs::new(slots, row))
                            .filter(|_| out < slots.len())
                        else {
                            return explain_failed_read(&*f, &signature, slots, row, out);
                        };
                        // The arguments are owned values (`FromValue` reads
                        // them out), so the slots are free again for the write.
                        // Nothing between the call and the write may return
                        // early: the value is then built in the slot itself,
                        // not on the stack and copied.
                        let value = f.call_with(args).map_err(boxed)?;
                        let written = slots[out].set_mut(value);
                        debug_assert!(written.is_ok(), "a typed module's output slot is empty");
                        Ok(())
                    },
                ),
            })),
        }
    }

    /// An async module from a typed function of up to sixteen parameters
    /// returning a future:
    /// `Module::asynchronous("fetch", ["id"], "out", |id: i64| async move { id })`.
    pub fn asynchronous<F, Args, const N: usize>(
        name: &str,
        params: [&str; N],
        output: &str,
        f: F,
    ) -> Module
    where
        F: AsyncFn<Args, N>,
        Args: 'static,
    {
        let signature = typed_signature(name, params, F::param_types(), output, F::output_type());
        let f = Arc::new(f);
        let with_values = {
            let f = f.clone();
            move |inputs: &ModuleInputs<'_>| f.call(inputs)
        };
        Module {
            signature,
            body: Body::TypedAsync(Arc::new(TypedAsyncBodies {
                new_cell: Box::new(move || F::cell(f.clone())),
                with_values: Box::new(with_values),
            })),
        }
    }

    /// A sync module over raw values; it writes each output with
    /// [`ModuleOutputs::set`].
    pub fn raw_sync<F>(signature: ModuleSignature, f: F) -> Module
    where
        F: Fn(&ModuleInputs<'_>, &mut ModuleOutputs<'_>) -> Result<(), ModuleError>
            + Send
            + Sync
            + 'static,
    {
        Module {
            signature,
            body: Body::Sync(Arc::new(Box::new(f))),
        }
    }

    /// An async module over raw values. The function reads what it needs
    /// from the inputs (cloning it into the future) and returns the future.
    pub fn raw_async<F>(signature: ModuleSignature, f: F) -> Module
    where
        F: Fn(&ModuleInputs<'_>) -> BoxFuture<Result<ModuleOutput, ModuleError>>
            + Send
            + Sync
            + 'static,
    {
        Module {
            signature,
            body: Body::Async(Arc::new(Box::new(f))),
        }
    }

    /// Sets the timeout used when neither the spec nor the config gives one.
    pub fn with_timeout(mut self, timeout: Duration) -> Module {
        self.signature.default_timeout = Some(timeout);
        self
    }

    /// The module's signature.
    pub fn signature(&self) -> &ModuleSignature {
        &self.signature
    }

    /// The registered name.
    pub fn name(&self) -> &str {
        &self.signature.name
    }

    /// Whether the module returns a future.
    pub fn is_async(&self) -> bool {
        matches!(self.body, Body::Async(..) | Body::TypedAsync(..))
    }
}

/// A signature with one output, for raw modules: `sig("m", [("a", CType::Int)], ("out", CType::Int))`.
pub fn signature<const N: usize>(
    name: &str,
    params: [(&str, CType); N],
    output: (&str, CType),
) -> ModuleSignature {
    ModuleSignature::new(name, params, [output])
}

#[cfg(all(test, not(asterism_loom)))]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// `Module::sync("t.sub", ["a", "b"], ...)`'s slot form, and how often
    /// its function ran.
    fn subtract() -> (Arc<TypedBodies>, Arc<AtomicUsize>) {
        let calls = Arc::new(AtomicUsize::new(0));
        let counted = calls.clone();
        let module = Module::sync("t.sub", ["a", "b"], "out", move |a: i64, b: i64| {
            counted.fetch_add(1, Ordering::Relaxed);
            a - b
        });
        let Body::Typed(bodies) = module.body else {
            panic!("a typed sync module")
        };
        (bodies, calls)
    }

    /// Slots 0 and 1 hold `a` and `b` (when given); slot 2 is the output.
    fn slots(a: Option<CValue>, b: Option<CValue>) -> Vec<Slot<CValue>> {
        let mut slots: Vec<Slot<CValue>> = (0..3).map(|_| Slot::new()).collect();
        for (slot, v) in slots.iter_mut().zip([a, b]) {
            if let Some(v) = v {
                slot.set_mut(v).expect("empty");
            }
        }
        slots
    }

    const ROW: [SlotIx; 2] = [SlotIx(0), SlotIx(1)];

    #[test]
    fn a_typed_body_reads_its_slots_and_writes_its_output() {
        let (bodies, calls) = subtract();
        let mut s = slots(Some(CValue::Int(9)), Some(CValue::Int(4)));
        (bodies.in_slots)(&mut s, &ROW, 2).expect("runs");
        assert_eq!(s[2].get(), Some(&CValue::Int(5)));
        assert_eq!(s[0].get(), Some(&CValue::Int(9)), "inputs stay");
        assert_eq!(calls.load(Ordering::Relaxed), 1);
    }

    #[test]
    fn a_hand_written_sync_fn_runs_through_call() {
        // No `args_in_slots` of its own: the fast path reads nothing and
        // every call goes through `call`.
        struct Halver;
        impl SyncFn<(i64,), 1> for Halver {
            fn param_types() -> [CType; 1] {
                [CType::Int]
            }
            fn output_type() -> CType {
                CType::Int
            }
            fn call(&self, inputs: &ModuleInputs<'_>) -> Result<CValue, ModuleError> {
                Ok(CValue::Int(inputs.int(0)? / 2))
            }
        }
        let Body::Typed(bodies) = Module::sync("t.half", ["x"], "out", Halver).body else {
            panic!("a typed sync module")
        };
        let mut s = slots(Some(CValue::Int(10)), None);
        (bodies.in_slots)(&mut s, &ROW[..1], 2).expect("runs");
        assert_eq!(s[2].get(), Some(&CValue::Int(5)));
        let mut s = slots(Some(CValue::Boolean(true)), None);
        let err = (bodies.in_slots)(&mut s, &ROW[..1], 2).expect_err("mistyped");
        assert!(err.to_string().contains("expected Int"), "{err}");
    }

    #[cfg(debug_assertions)]
    #[test]
    #[should_panic(expected = "IntoValue::into_value gave a CBoolean where its ctype() is Int")]
    fn a_typed_body_checks_its_value_against_its_type_in_debug_builds() {
        struct Liar;
        impl crate::modules::typed::IntoValue for Liar {
            fn ctype() -> CType {
                CType::Int
            }
            fn into_value(self) -> CValue {
                CValue::Boolean(true)
            }
        }
        let liar = Module::sync("t.liar", ["a", "b"], "out", |_: i64, _: i64| Liar);
        let Body::Typed(bodies) = liar.body else {
            panic!("a typed sync module")
        };
        let mut s = slots(Some(CValue::Int(1)), Some(CValue::Int(2)));
        let _ = (bodies.in_slots)(&mut s, &ROW, 2);
    }

    #[test]
    fn a_typed_body_that_cannot_read_says_why_and_never_calls_the_function() {
        let (bodies, calls) = subtract();
        // Slots, the input row, the output slot, what the error says.
        type Case<'a> = (Vec<Slot<CValue>>, &'a [SlotIx], usize, &'a str);
        let cases: [Case<'_>; 4] = [
            (slots(Some(CValue::Int(1)), None), &ROW, 2, "no input 1"),
            (
                slots(Some(CValue::String("x".into())), Some(CValue::Int(1))),
                &ROW,
                2,
                "parameter 0: expected Int",
            ),
            (
                slots(Some(CValue::Int(1)), Some(CValue::Int(1))),
                &ROW[..1],
                2,
                "no input 1",
            ),
            (
                slots(Some(CValue::Int(1)), Some(CValue::Int(1))),
                &ROW,
                3,
                "no output slot",
            ),
        ];
        for (mut s, row, out, want) in cases {
            let err = (bodies.in_slots)(&mut s, row, out).expect_err(want);
            assert!(err.to_string().contains(want), "{err} should say {want}");
            assert!(s[2].get().is_none(), "nothing written ({want})");
        }
        assert_eq!(calls.load(Ordering::Relaxed), 0);
    }
}
