//! Typed adapters: ordinary Rust functions as modules.
//!
//! [`FromValue`] turns a parameter's [`CValue`] into a Rust value and
//! [`IntoValue`] turns a result back; both know their [`CType`], so a
//! module's signature follows from its function's type. [`IntoOutcome`]
//! lets a function return either a value or a `Result` whose error becomes
//! the module's error message.

use std::fmt::Display;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use asterism_compiler::{CType, CValue, SlotIx};

use crate::modules::io::{BoxFuture, ModuleError, ModuleInputs, ModuleOutput};
use crate::state::slot::Slot;

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
pub(crate) fn checked_value<V: IntoValue>(v: V) -> CValue {
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
    /// The parameters read straight from their slots, or `None` if one is
    /// missing or of another type (then [`SyncFn::call`] says which). The
    /// executor's fast path: no error is built here, so a caller that
    /// leaves failures to a cold path keeps its frame small. The default,
    /// for a hand-written implementation, reads nothing: every call then
    /// takes the path through [`SyncFn::call`].
    #[doc(hidden)]
    fn args_in_slots(_inputs: SlotInputs<'_>) -> Option<Args> {
        None
    }
    /// Calls the function on parameters [`SyncFn::args_in_slots`] read
    /// (never called where that is the default).
    #[doc(hidden)]
    fn call_with(&self, _args: Args) -> Result<CValue, ModuleError> {
        Err(ModuleError::new(
            "SyncFn::call_with has no default body: implement it with args_in_slots",
        ))
    }
}

/// A function usable as an async module with `N` parameters.
pub trait AsyncFn<Args, const N: usize>: Send + Sync + 'static {
    /// The parameter types, in order.
    fn param_types() -> [CType; N];
    /// The output type.
    fn output_type() -> CType;
    /// Reads the parameters and starts the function's future.
    fn call(&self, inputs: &ModuleInputs<'_>) -> BoxFuture<Result<ModuleOutput, ModuleError>>;

    /// A cell that runs this function's futures in the form the executor
    /// polls ([`FutureCell`]), one at a time, reusing its allocation: an
    /// execution state keeps one per typed async node, so a pooled run
    /// starts its futures with no allocation. Hidden: the implementations
    /// for functions build the future in the cell; this default keeps
    /// [`AsyncFn::call`]'s boxed future there (one allocation per call).
    #[doc(hidden)]
    fn cell(f: Arc<Self>) -> Pin<Box<dyn FutureCell>>
    where
        Self: Sized,
        Args: 'static,
    {
        Box::pin(CallCell {
            f,
            fut: None,
            _args: PhantomData,
        })
    }
}

/// A typed sync module's input slots, read by the executor's fast path
/// ([`SyncFn::args_in_slots`]). Opaque: public only because [`SyncFn`]
/// names it.
#[doc(hidden)]
pub struct SlotInputs<'a> {
    slots: &'a [Slot<CValue>],
    row: &'a [SlotIx],
}

impl<'a> SlotInputs<'a> {
    /// The slots `row` names.
    #[inline(always)]
    pub(crate) fn new(slots: &'a [Slot<CValue>], row: &'a [SlotIx]) -> Self {
        SlotInputs { slots, row }
    }

    /// Parameter `i`, if its slot is full and holds a `T`.
    #[inline(always)]
    fn read<T: FromValue>(&self, i: usize) -> Option<T> {
        T::from_value(self.slots.get(self.row.get(i)?.ix())?.get()?)
    }
}

/// The slot a typed async module's future writes its value into (the
/// execution's output slot). Opaque: public only because [`FutureCell`]
/// names it.
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
/// forwarding (as a typed sync body's would). What a [`FutureCell`] holds
/// and polls.
trait ModuleFuture: Send {
    /// Polls the future; when it is ready, writes its value into `out`
    /// (or returns its error).
    fn poll_into(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        out: OutputSlot<'_>,
    ) -> Poll<Result<(), Box<ModuleError>>>;
}

/// [`AsyncFn::call`]'s future, polled as a [`ModuleFuture`].
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

/// Where a typed async node's futures run, one at a time, in one
/// allocation reused from run to run: the execution state keeps a cell per
/// such node (made by [`AsyncFn::cell`] on the node's first start), so a
/// pooled run of async modules allocates nothing for their futures.
///
/// The contract the executor keeps: `start` only on an empty cell; a cell
/// empties itself when its future is ready (after writing the value or
/// returning the error), and `clear` drops a future that will not finish
/// (a timeout, a cancelled run, a poll that panicked). Hidden: the
/// executor's interface, public only because [`AsyncFn::cell`] names it.
#[doc(hidden)]
pub trait FutureCell: Send {
    /// Reads the parameters and starts the function's future in the cell.
    fn start(self: Pin<&mut Self>, inputs: &ModuleInputs<'_>) -> Result<(), Box<ModuleError>>;
    /// Polls the future; when it is ready, writes its value into `out` (or
    /// returns its error) and drops it, emptying the cell.
    fn poll_into(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        out: OutputSlot<'_>,
    ) -> Poll<Result<(), Box<ModuleError>>>;
    /// Drops the future, if there is one.
    fn clear(self: Pin<&mut Self>);
    /// Whether the cell holds no future.
    fn is_empty(&self) -> bool;
}

/// Polls the future in `fut` into `out`; empties `fut` once it is ready.
#[inline(always)]
fn poll_and_empty<M: ModuleFuture>(
    mut fut: Pin<&mut Option<M>>,
    cx: &mut Context<'_>,
    out: OutputSlot<'_>,
) -> Poll<Result<(), Box<ModuleError>>> {
    let Some(running) = fut.as_mut().as_pin_mut() else {
        return Poll::Ready(Err(no_future()));
    };
    let polled = running.poll_into(cx, out);
    if polled.is_ready() {
        fut.set(None);
    }
    polled
}

#[cold]
#[inline(never)]
fn no_future() -> Box<ModuleError> {
    Box::new(ModuleError::new(
        "an async module's future was polled before it started (an executor bug)",
    ))
}

/// [`AsyncFn::cell`]'s default: keeps [`AsyncFn::call`]'s boxed future.
struct CallCell<F, Args, const N: usize> {
    f: Arc<F>,
    fut: Option<Boxed>,
    _args: PhantomData<fn(Args)>,
}

impl<F: AsyncFn<Args, N>, Args, const N: usize> FutureCell for CallCell<F, Args, N> {
    fn start(self: Pin<&mut Self>, inputs: &ModuleInputs<'_>) -> Result<(), Box<ModuleError>> {
        let this = self.get_mut();
        this.fut = Some(Boxed(this.f.call(inputs)));
        Ok(())
    }

    fn poll_into(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        out: OutputSlot<'_>,
    ) -> Poll<Result<(), Box<ModuleError>>> {
        poll_and_empty(Pin::new(&mut self.get_mut().fut), cx, out)
    }

    fn clear(self: Pin<&mut Self>) {
        self.get_mut().fut = None;
    }

    fn is_empty(&self) -> bool {
        self.fut.is_none()
    }
}

pin_project_lite::pin_project! {
    /// A function's cell: its future is built in place, in the cell's one
    /// allocation (the macro below implements [`FutureCell`] for each
    /// arity).
    struct FnCell<F, Args, Fut> {
        f: Arc<F>,
        #[pin]
        fut: Option<TypedOutput<Fut>>,
        _args: PhantomData<fn(Args)>,
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
    /// out rather than as an `async` block so that what a cell holds (or
    /// [`AsyncFn::call`] boxes) is the function's future and nothing more
    /// (an `async` wrapper adds its own state and room for the output, and
    /// moving that into place costs a `memcpy` call per module).
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
            // `call` and `call_with` are always inlined: out of line, the
            // result comes back through memory and is copied into the slot,
            // and the copy stalls on store forwarding (it was a quarter of a
            // layered run's time). `call_with` is the executor's; `call`
            // serves the reference executor and the cold path.
            #[inline(always)]
            #[allow(unused_variables)]
            fn call(&self, inputs: &ModuleInputs<'_>) -> Result<CValue, ModuleError> {
                Ok(checked_value((self)($(arg::<$arg>(inputs, $i)?),*).into_outcome()?))
            }
            #[inline(always)]
            #[allow(unused_variables)]
            fn args_in_slots(inputs: SlotInputs<'_>) -> Option<($($arg,)*)> {
                Some(($(inputs.read::<$arg>($i)?,)*))
            }
            #[inline(always)]
            #[allow(unused_variables)]
            fn call_with(&self, args: ($($arg,)*)) -> Result<CValue, ModuleError> {
                Ok(checked_value((self)($(args.$i),*).into_outcome()?))
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
            fn cell(f: Arc<Self>) -> Pin<Box<dyn FutureCell>>
            where
                ($($arg,)*): 'static,
            {
                Box::pin(FnCell::<F, ($($arg,)*), Fut> { f, fut: None, _args: PhantomData })
            }
        }

        impl<F, Fut, R, $($arg),*> FutureCell for FnCell<F, ($($arg,)*), Fut>
        where
            F: Fn($($arg),*) -> Fut + Send + Sync + 'static,
            Fut: Future<Output = R> + Send + 'static,
            R: IntoOutcome,
            $($arg: FromValue,)*
        {
            #[inline]
            #[allow(unused_variables, non_snake_case, clippy::redundant_closure_call)]
            fn start(self: Pin<&mut Self>, inputs: &ModuleInputs<'_>) -> Result<(), Box<ModuleError>> {
                let mut this = self.project();
                let ($($arg,)*) = (|| Ok::<_, ModuleError>(($(arg::<$arg>(inputs, $i)?,)*)))()
                    .map_err(boxed_error)?;
                this.fut.set(Some(TypedOutput { fut: (&**this.f)($($arg),*) }));
                Ok(())
            }
            #[inline]
            fn poll_into(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                out: OutputSlot<'_>,
            ) -> Poll<Result<(), Box<ModuleError>>> {
                poll_and_empty(self.project().fut, cx, out)
            }
            fn clear(self: Pin<&mut Self>) {
                self.project().fut.set(None);
            }
            fn is_empty(&self) -> bool {
                self.fut.is_none()
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
typed_fns!(7; A 0, B 1, C 2, D 3, E 4, G 5, H 6);
typed_fns!(8; A 0, B 1, C 2, D 3, E 4, G 5, H 6, I 7);
typed_fns!(9; A 0, B 1, C 2, D 3, E 4, G 5, H 6, I 7, J 8);
typed_fns!(10; A 0, B 1, C 2, D 3, E 4, G 5, H 6, I 7, J 8, K 9);
typed_fns!(11; A 0, B 1, C 2, D 3, E 4, G 5, H 6, I 7, J 8, K 9, L 10);
typed_fns!(12; A 0, B 1, C 2, D 3, E 4, G 5, H 6, I 7, J 8, K 9, L 10, M 11);
typed_fns!(13; A 0, B 1, C 2, D 3, E 4, G 5, H 6, I 7, J 8, K 9, L 10, M 11, N 12);
typed_fns!(14; A 0, B 1, C 2, D 3, E 4, G 5, H 6, I 7, J 8, K 9, L 10, M 11, N 12, O 13);
typed_fns!(15; A 0, B 1, C 2, D 3, E 4, G 5, H 6, I 7, J 8, K 9, L 10, M 11, N 12, O 13, P 14);
typed_fns!(16; A 0, B 1, C 2, D 3, E 4, G 5, H 6, I 7, J 8, K 9, L 10, M 11, N 12, O 13, P 14, Q 15);

#[cfg(all(test, not(asterism_loom)))]
mod tests {
    use super::*;
    use asterism_compiler::ModuleSignature;

    /// An `AsyncFn` written by hand, not a function: it gets `cell`'s
    /// default, which keeps `call`'s future.
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

    /// Starts `cell` on `input` and polls it once into `out`.
    fn run_once(
        cell: &mut Pin<Box<dyn FutureCell>>,
        input: CValue,
        out: &mut Slot<CValue>,
    ) -> Poll<Result<(), Box<ModuleError>>> {
        let sig = signature();
        let values = [&input];
        let inputs = ModuleInputs::from_values(&values, &sig);
        if let Err(e) = cell.as_mut().start(&inputs) {
            return Poll::Ready(Err(e));
        }
        let mut cx = Context::from_waker(std::task::Waker::noop());
        cell.as_mut().poll_into(&mut cx, OutputSlot(out))
    }

    #[test]
    fn the_default_cell_writes_calls_value_into_the_slot_and_empties() {
        let mut cell = AsyncFn::cell(Arc::new(Doubler));
        let mut out = Slot::new();
        assert!(matches!(
            run_once(&mut cell, CValue::Int(21), &mut out),
            Poll::Ready(Ok(()))
        ));
        assert_eq!(out.get(), Some(&CValue::Int(42)));
        assert!(cell.is_empty(), "a ready future is dropped at once");
    }

    #[test]
    fn the_default_cell_passes_calls_error_on() {
        let mut cell = AsyncFn::cell(Arc::new(Doubler));
        let mut out = Slot::new();
        match run_once(&mut cell, CValue::String("x".into()), &mut out) {
            Poll::Ready(Err(e)) => assert!(e.message().contains("Int"), "{}", e.message()),
            _ => panic!("a mistyped input fails the module"),
        }
        assert_eq!(out.get(), None, "nothing written");
        assert!(cell.is_empty());
    }

    #[test]
    fn a_functions_cell_is_reused_run_after_run() {
        let f = |v: i64| async move { v + 1 };
        let mut cell = AsyncFn::cell(Arc::new(f));
        for i in 0..3 {
            let mut out = Slot::new();
            assert!(matches!(
                run_once(&mut cell, CValue::Int(i), &mut out),
                Poll::Ready(Ok(()))
            ));
            assert_eq!(out.get(), Some(&CValue::Int(i + 1)));
            assert!(cell.is_empty());
        }
    }

    #[test]
    fn a_functions_cell_refuses_a_mistyped_input_before_starting() {
        let f = |v: i64| async move { v + 1 };
        let mut cell = AsyncFn::cell(Arc::new(f));
        let mut out = Slot::new();
        match run_once(&mut cell, CValue::Boolean(true), &mut out) {
            Poll::Ready(Err(e)) => assert!(e.message().contains("expected Int"), "{}", e.message()),
            _ => panic!("a mistyped input fails the module"),
        }
        assert!(cell.is_empty(), "no future was started");
    }

    /// Counts its drops: a pending future's drop is observable.
    struct Guard(Arc<std::sync::atomic::AtomicUsize>);

    impl Drop for Guard {
        fn drop(&mut self) {
            self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
    }

    #[test]
    fn clear_drops_a_pending_future_and_a_cleared_cell_starts_again() {
        let drops = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counter = drops.clone();
        let f = move |v: i64| {
            let guard = Guard(counter.clone());
            async move {
                std::future::pending::<()>().await;
                drop(guard);
                v
            }
        };
        let mut cell = AsyncFn::cell(Arc::new(f));
        let mut out = Slot::new();
        assert!(run_once(&mut cell, CValue::Int(1), &mut out).is_pending());
        assert!(!cell.is_empty());
        assert_eq!(drops.load(std::sync::atomic::Ordering::SeqCst), 0);
        cell.as_mut().clear();
        assert!(cell.is_empty());
        assert_eq!(drops.load(std::sync::atomic::Ordering::SeqCst), 1);
        assert_eq!(out.get(), None);
        assert!(run_once(&mut cell, CValue::Int(2), &mut out).is_pending());
        cell.as_mut().clear();
        assert_eq!(drops.load(std::sync::atomic::Ordering::SeqCst), 2);
    }
}
