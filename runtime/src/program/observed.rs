//! The observed path of the run entry points: a program that is not plain
//! (the reference executor, or hooks: an observer, the `tracing` or
//! `metrics` features) runs here. [`Program`]'s entry points branch to it
//! on one flag they already checked (`ProgramInner::plain`), so a plain
//! program's runs are the same instructions as before hooks existed.
//!
//! Hooks wrap the run: [`Hooks::start`](crate::observe) before the inputs
//! are checked, [`Hooks::finish`](crate::observe) after the result is
//! built, with the execution's span (feature `tracing`) entered around
//! the run. An execution whose future is dropped before it ends reports
//! no end.

use std::future::Future;
use std::pin::{pin, Pin};
use std::task::{Context, Poll, Waker};

use asterism_compiler::{CValue, InputIx};

use crate::error::{InputError, RunError};
use crate::exec::{self as executor, RunCounts, RunOptions};
use crate::program::bound::finish_result;
use crate::program::Program;
use crate::result::ExecutionResult;

impl Program {
    /// The async entry points' path when the program is not plain.
    pub(super) async fn run_observed<I>(
        &self,
        inputs: I,
        earlier: Vec<InputError>,
        options: &RunOptions,
    ) -> Result<ExecutionResult<'_>, RunError>
    where
        I: IntoIterator<Item = (InputIx, CValue)>,
    {
        let inner = &*self.inner;
        let Some(hooks) = inner.hooks.as_deref() else {
            return crate::reference::run(inner, inputs, earlier, options).await;
        };
        let watched = hooks.start(&inner.plan);
        let run = async {
            if !inner.config.state.mutable {
                return crate::reference::run(inner, inputs, earlier, options).await;
            }
            let mut guard = self.start();
            guard.record_latency |= inner.asked_latency(options);
            let mut earlier = earlier;
            let started = self.fill(&mut guard, &mut inputs.into_iter(), &mut earlier)?;
            let mut counts = RunCounts::default();
            let ctx = inner.ctx(guard.record_latency);
            let (abort, end) =
                executor::drive(&ctx, guard.state_mut(), options, &mut counts, started).await;
            guard.finished = true;
            Ok(finish_result(inner, guard, started, end, abort, counts))
        };
        #[cfg(feature = "tracing")]
        let run = tracing::Instrument::instrument(run, watched.span().clone());
        let result = run.await;
        hooks.finish(watched, &inner.plan, result.as_ref().ok(), &inner.pool);
        result
    }

    /// The sync entry points' path when the program is not plain;
    /// `options` are `run_sync_with`'s (`None`: `run_sync`, whose pass
    /// compiles the between-node checks out).
    pub(super) fn run_sync_observed<I>(
        &self,
        inputs: I,
        options: Option<&RunOptions>,
    ) -> Result<ExecutionResult<'_>, RunError>
    where
        I: IntoIterator<Item = (InputIx, CValue)>,
    {
        let inner = &*self.inner;
        let hooks = match inner.hooks.as_deref() {
            Some(hooks) if inner.config.state.mutable => hooks,
            _ => {
                // The reference executor (observed or not, by
                // `run_observed`). With only sync modules the run ends in
                // one poll.
                let mut cx = Context::from_waker(Waker::noop());
                let options = options.cloned().unwrap_or_default();
                return match pin!(self.run_with(inputs, &options)).poll(&mut cx) {
                    Poll::Ready(result) => result,
                    Poll::Pending => Err(RunError::needs_async()),
                };
            }
        };
        let watched = hooks.start(&inner.plan);
        #[cfg(feature = "tracing")]
        let entered = watched.span().enter();
        let run = || {
            let mut guard = self.start();
            if let Some(options) = options {
                guard.record_latency |= inner.asked_latency(options);
            }
            let started = self.fill(&mut guard, &mut inputs.into_iter(), &mut Vec::new())?;
            let mut counts = RunCounts::default();
            let ctx = inner.ctx(guard.record_latency);
            let (abort, end) = match options {
                None => (
                    None,
                    executor::run_sync(&ctx, guard.state_mut(), &mut counts, started),
                ),
                Some(options) => {
                    executor::run_sync_with(&ctx, guard.state_mut(), options, &mut counts, started)
                }
            };
            guard.finished = true;
            Ok(finish_result(inner, guard, started, end, abort, counts))
        };
        let result = run();
        #[cfg(feature = "tracing")]
        drop(entered);
        hooks.finish(watched, &inner.plan, result.as_ref().ok(), &inner.pool);
        result
    }
}

pin_project_lite::pin_project! {
    /// A future polled through a function that is never inlined. The plain
    /// path's `run_checked` awaits the observed path through it, so the
    /// observed path's code (hooks, spans, a second executor call) stays
    /// out of the plain path's poll function, whose code is then what it
    /// was before hooks existed.
    pub(super) struct OutOfLine<F> {
        #[pin]
        future: F,
    }
}

impl<F> OutOfLine<F> {
    /// Wraps `future`.
    pub(super) fn new(future: F) -> Self {
        OutOfLine { future }
    }
}

impl<F: Future> Future for OutOfLine<F> {
    type Output = F::Output;

    #[inline(never)]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        self.project().future.poll(cx)
    }
}
