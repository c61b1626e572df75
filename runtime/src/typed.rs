//! Typed adapters: ordinary Rust functions as modules.
//!
//! [`FromValue`] turns a parameter's [`CValue`] into a Rust value and
//! [`IntoValue`] turns a result back; both know their [`CType`], so a
//! module's signature follows from its function's type. [`IntoOutcome`]
//! lets a function return either a value or a `Result` whose error becomes
//! the module's error message.

use std::fmt::Display;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use asterism_compiler::{CType, CValue};

use crate::module::{BoxFuture, ModuleError, ModuleInputs, ModuleOutput};
use crate::sync::Slot;

/// A Rust type a parameter can be read as.
pub trait FromValue: Sized {
    /// The pipeline type of such parameters.
    fn ctype() -> CType;
    /// Reads the value; `None` if it has another type.
    fn from_value(v: &CValue) -> Option<Self>;
}

/// A Rust type a module can return.
///
/// The contract: `into_value` returns a value of type `ctype()`
/// (`CValue::has_type`). A typed module's output is stored without a type
/// check, because its signature is derived from this type; debug builds
/// assert the contract.
pub trait IntoValue {
    /// The pipeline type of the output.
    fn ctype() -> CType;
    /// Converts the value; it must have type [`IntoValue::ctype`].
    fn into_value(self) -> CValue;
}

/// `v.into_value()`, checking [`IntoValue`]'s contract in debug builds.
#[inline(always)]
fn checked_value<V: IntoValue>(v: V) -> CValue {
    let value = v.into_value();
    debug_assert!(
        value.has_type(&V::ctype()),
        "IntoValue::into_value gave a {} where its ctype() is {}",
        value.tag(),
        V::ctype()
    );
    value
}

macro_rules! scalar {
    ($t:ty, $variant:ident, $ctype:expr) => {
        impl FromValue for $t {
            fn ctype() -> CType {
                $ctype
            }
            #[inline]
            fn from_value(v: &CValue) -> Option<Self> {
                match v {
                    CValue::$variant(x) => Some(x.clone()),
                    _ => None,
                }
            }
        }
        impl IntoValue for $t {
            fn ctype() -> CType {
                $ctype
            }
            #[inline]
            fn into_value(self) -> CValue {
                CValue::$variant(self)
            }
        }
    };
}
scalar!(i64, Int, CType::Int);
scalar!(f64, Float, CType::Float);
scalar!(bool, Boolean, CType::Boolean);
scalar!(String, String, CType::String);

impl<T: FromValue> FromValue for Vec<T> {
    fn ctype() -> CType {
        CType::list(T::ctype())
    }
    fn from_value(v: &CValue) -> Option<Self> {
        match v {
            CValue::List(items, _) | CValue::Seq(items, _) => {
                items.iter().map(T::from_value).collect()
            }
            _ => None,
        }
    }
}

impl<T: IntoValue> IntoValue for Vec<T> {
    fn ctype() -> CType {
        CType::list(T::ctype())
    }
    fn into_value(self) -> CValue {
        CValue::list(self.into_iter().map(T::into_value).collect(), T::ctype())
    }
}

impl<T: FromValue> FromValue for Option<T> {
    fn ctype() -> CType {
        CType::optional(T::ctype())
    }
    fn from_value(v: &CValue) -> Option<Self> {
        match v {
            CValue::Some(inner, _) => T::from_value(inner).map(Some),
            CValue::None(_) => Some(None),
            _ => None,
        }
    }
}

impl<T: IntoValue> IntoValue for Option<T> {
    fn ctype() -> CType {
        CType::optional(T::ctype())
    }
    fn into_value(self) -> CValue {
        match self {
            Some(v) => CValue::some(v.into_value(), T::ctype()),
            None => CValue::none(T::ctype()),
        }
    }
}

/// What a typed module function returns: a value, or a `Result` whose
/// error becomes the module's error.
pub trait IntoOutcome {
    /// The success type.
    type Value: IntoValue;
    /// Splits success from failure.
    fn into_outcome(self) -> Result<Self::Value, ModuleError>;
}

impl<T: IntoValue> IntoOutcome for T {
    type Value = T;
    #[inline]
    fn into_outcome(self) -> Result<T, ModuleError> {
        Ok(self)
    }
}

impl<T: IntoValue, E: Display> IntoOutcome for Result<T, E> {
    type Value = T;
    #[inline]
    fn into_outcome(self) -> Result<T, ModuleError> {
        self.map_err(|e| ModuleError::new(e.to_string()))
    }
}

/// A function usable as a sync module with `N` parameters.
pub trait SyncFn<Args, const N: usize>: Send + Sync + 'static {
    /// The parameter types, in order.
    fn param_types() -> [CType; N];
    /// The output type.
    fn output_type() -> CType;
    /// Reads the parameters and calls the function.
    fn call(&self, inputs: &ModuleInputs<'_>) -> Result<CValue, ModuleError>;
}

/// A function usable as an async module with `N` parameters.
pub trait AsyncFn<Args, const N: usize>: Send + Sync + 'static {
    /// The parameter types, in order.
    fn param_types() -> [CType; N];
    /// The output type.
    fn output_type() -> CType;
    /// Reads the parameters and starts the function's future.
    fn call(&self, inputs: &ModuleInputs<'_>) -> BoxFuture<Result<ModuleOutput, ModuleError>>;

    /// Reads the parameters and starts the function's future in the form
    /// the executor polls ([`ModuleFuture`]). Hidden: the implementations
    /// for functions build it directly; this default wraps
    /// [`AsyncFn::call`]'s future, one more allocation.
    #[doc(hidden)]
    fn start(&self, inputs: &ModuleInputs<'_>) -> Result<Pin<Box<dyn ModuleFuture>>, ModuleError> {
        Ok(Box::pin(Boxed(self.call(inputs))))
    }
}

/// The slot a typed async module's future writes its value into (the
/// execution's output slot). Opaque: public only because
/// [`ModuleFuture`] names it.
#[doc(hidden)]
pub struct OutputSlot<'a>(pub(crate) &'a mut Slot<CValue>);

impl OutputSlot<'_> {
    #[inline(always)]
    fn put(self, value: CValue) {
        let written = self.0.set_mut(value);
        debug_assert!(written.is_ok(), "a module's output slot is empty");
    }
}

/// A typed async module's future as the executor polls it: when ready, it
/// writes its one value into the slot it is given. The value is built
/// where it is kept; returned through memory instead, as a `Future`'s
/// output is, it would be copied out in 16-byte loads that wait on store
/// forwarding (as a typed sync body's would). Hidden: the executor's
/// interface, public only because [`AsyncFn::start`] names it.
#[doc(hidden)]
pub trait ModuleFuture: Send {
    /// Polls the future; when it is ready, writes its value into `out`
    /// (or returns its error).
    fn poll_into(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        out: OutputSlot<'_>,
    ) -> Poll<Result<(), Box<ModuleError>>>;
}

/// [`AsyncFn::start`]'s default: a future of the general form.
struct Boxed(BoxFuture<Result<ModuleOutput, ModuleError>>);

impl ModuleFuture for Boxed {
    fn poll_into(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        out: OutputSlot<'_>,
    ) -> Poll<Result<(), Box<ModuleError>>> {
        self.get_mut().0.as_mut().poll(cx).map(|r| match r {
            Ok(ModuleOutput::One(v)) => {
                out.put(v);
                Ok(())
            }
            Ok(ModuleOutput::Many(_)) => Err(Box::new(ModuleError::new(
                "a typed async module gave several outputs; it has one",
            ))),
            Err(e) => Err(Box::new(e)),
        })
    }
}

#[inline(always)]
fn arg<T: FromValue>(inputs: &ModuleInputs<'_>, i: usize) -> Result<T, ModuleError> {
    let v = inputs.get(i)?;
    T::from_value(v).ok_or_else(|| mistyped::<T>(i, v))
}

/// Out of line and cold: see the error paths in `module.rs`.
#[cold]
#[inline(never)]
fn mistyped<T: FromValue>(i: usize, v: &CValue) -> ModuleError {
    ModuleError::new(format!(
        "parameter {i}: expected {}, found {}",
        T::ctype(),
        v.tag()
    ))
}

pin_project_lite::pin_project! {
    /// A typed async module's future: the function's own future, whose
    /// result becomes the module's one output when it is ready. Written
    /// out rather than as an `async` block so that the boxed future is the
    /// function's future and nothing more (an `async` wrapper adds its own
    /// state and room for the output, and moving that into the box costs a
    /// `memcpy` call per module).
    struct TypedOutput<Fut> {
        #[pin]
        fut: Fut,
    }
}

impl<Fut> ModuleFuture for TypedOutput<Fut>
where
    Fut: Future + Send,
    Fut::Output: IntoOutcome,
{
    #[inline]
    fn poll_into(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        out: OutputSlot<'_>,
    ) -> Poll<Result<(), Box<ModuleError>>> {
        self.project().fut.poll(cx).map(|r| match r.into_outcome() {
            Ok(v) => {
                out.put(checked_value(v));
                Ok(())
            }
            Err(e) => Err(boxed_error(e)),
        })
    }
}

#[cold]
#[inline(never)]
fn boxed_error(e: ModuleError) -> Box<ModuleError> {
    Box::new(e)
}

impl<Fut> Future for TypedOutput<Fut>
where
    Fut: Future,
    Fut::Output: IntoOutcome,
{
    type Output = Result<ModuleOutput, ModuleError>;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.project()
            .fut
            .poll(cx)
            .map(|r| Ok(ModuleOutput::One(checked_value(r.into_outcome()?))))
    }
}

macro_rules! typed_fns {
    ($n:literal; $($arg:ident $i:tt),*) => {
        impl<F, R, $($arg),*> SyncFn<($($arg,)*), $n> for F
        where
            F: Fn($($arg),*) -> R + Send + Sync + 'static,
            R: IntoOutcome,
            $($arg: FromValue,)*
        {
            fn param_types() -> [CType; $n] {
                [$($arg::ctype()),*]
            }
            fn output_type() -> CType {
                <R::Value as IntoValue>::ctype()
            }
            // Always inlined: out of line (it has two callers, the two
            // forms of a typed body), its result comes back through memory
            // and is copied into the slot, and the copy stalls on store
            // forwarding (a quarter of a layered run's time).
            #[inline(always)]
            #[allow(unused_variables)]
            fn call(&self, inputs: &ModuleInputs<'_>) -> Result<CValue, ModuleError> {
                Ok(checked_value((self)($(arg::<$arg>(inputs, $i)?),*).into_outcome()?))
            }
        }

        impl<F, Fut, R, $($arg),*> AsyncFn<($($arg,)*), $n> for F
        where
            F: Fn($($arg),*) -> Fut + Send + Sync + 'static,
            Fut: Future<Output = R> + Send + 'static,
            R: IntoOutcome,
            $($arg: FromValue,)*
        {
            fn param_types() -> [CType; $n] {
                [$($arg::ctype()),*]
            }
            fn output_type() -> CType {
                <R::Value as IntoValue>::ctype()
            }
            #[allow(unused_variables, non_snake_case, clippy::redundant_closure_call)]
            fn call(&self, inputs: &ModuleInputs<'_>) -> BoxFuture<Result<ModuleOutput, ModuleError>> {
                let args = (|| Ok::<_, ModuleError>(($(arg::<$arg>(inputs, $i)?,)*)))();
                match args {
                    Err(e) => Box::pin(std::future::ready(Err(e))),
                    Ok(($($arg,)*)) => Box::pin(TypedOutput { fut: (self)($($arg),*) }),
                }
            }
            #[inline(always)]
            #[allow(unused_variables, non_snake_case, clippy::redundant_closure_call)]
            fn start(&self, inputs: &ModuleInputs<'_>) -> Result<Pin<Box<dyn ModuleFuture>>, ModuleError> {
                let ($($arg,)*) = (|| Ok::<_, ModuleError>(($(arg::<$arg>(inputs, $i)?,)*)))()?;
                Ok(Box::pin(TypedOutput { fut: (self)($($arg),*) }))
            }
        }
    };
}

typed_fns!(0;);
typed_fns!(1; A 0);
typed_fns!(2; A 0, B 1);
typed_fns!(3; A 0, B 1, C 2);
typed_fns!(4; A 0, B 1, C 2, D 3);
typed_fns!(5; A 0, B 1, C 2, D 3, E 4);
typed_fns!(6; A 0, B 1, C 2, D 3, E 4, G 5);

#[cfg(all(test, not(asterism_loom)))]
mod tests {
    use super::*;
    use asterism_compiler::ModuleSignature;

    /// An `AsyncFn` written by hand, not a function: it gets `start`'s
    /// default, which wraps `call`'s future.
    struct Doubler;

    impl AsyncFn<(i64,), 1> for Doubler {
        fn param_types() -> [CType; 1] {
            [CType::Int]
        }
        fn output_type() -> CType {
            CType::Int
        }
        fn call(&self, inputs: &ModuleInputs<'_>) -> BoxFuture<Result<ModuleOutput, ModuleError>> {
            let v = inputs.int(0);
            Box::pin(async move { Ok(ModuleOutput::One(CValue::Int(v? * 2))) })
        }
    }

    fn signature() -> ModuleSignature {
        ModuleSignature {
            name: "double".into(),
            params: Vec::new(),
            outputs: Vec::new(),
            default_timeout: None,
        }
    }

    fn poll_once(
        future: &mut Pin<Box<dyn ModuleFuture>>,
        out: &mut Slot<CValue>,
    ) -> Poll<Result<(), Box<ModuleError>>> {
        let mut cx = Context::from_waker(std::task::Waker::noop());
        future.as_mut().poll_into(&mut cx, OutputSlot(out))
    }

    #[test]
    fn the_default_start_writes_calls_value_into_the_slot() {
        let sig = signature();
        let x = CValue::Int(21);
        let values = [&x];
        let inputs = ModuleInputs::from_values(&values, &sig);
        let mut future = Doubler.start(&inputs).expect("starts");
        let mut out = Slot::new();
        assert!(matches!(
            poll_once(&mut future, &mut out),
            Poll::Ready(Ok(()))
        ));
        assert_eq!(out.get(), Some(&CValue::Int(42)));
    }

    #[test]
    fn the_default_start_passes_calls_error_on() {
        let sig = signature();
        let wrong = CValue::String("x".into());
        let values = [&wrong];
        let inputs = ModuleInputs::from_values(&values, &sig);
        let mut future = Doubler.start(&inputs).expect("starts");
        let mut out = Slot::new();
        match poll_once(&mut future, &mut out) {
            Poll::Ready(Err(e)) => assert!(e.message().contains("Int"), "{}", e.message()),
            _ => panic!("a mistyped input fails the module"),
        }
        assert_eq!(out.get(), None, "nothing written");
    }

    #[test]
    fn a_functions_start_writes_its_value_in_place() {
        let f = |v: i64| async move { v + 1 };
        let sig = signature();
        let x = CValue::Int(1);
        let values = [&x];
        let inputs = ModuleInputs::from_values(&values, &sig);
        let mut future = AsyncFn::start(&f, &inputs).expect("starts");
        let mut out = Slot::new();
        assert!(matches!(
            poll_once(&mut future, &mut out),
            Poll::Ready(Ok(()))
        ));
        assert_eq!(out.get(), Some(&CValue::Int(2)));
    }
}
