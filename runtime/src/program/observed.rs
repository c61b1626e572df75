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

use std::future::{poll_fn, Future};
use std::pin::{pin, Pin};
use std::task::{Context, Poll, Waker};

use asterism_compiler::{CValue, InputIx};

use crate::error::{InputError, RunError};
use crate::exec::{self as executor, RunCounts, RunOptions};
use crate::observe::Watched;
use crate::program::bound::finish_result;
use crate::program::Program;
use crate::result::ExecutionResult;

impl Program {
    /// The async entry points' path when the program is not plain.
    ///
    /// One state machine, with the executor's future pinned where it is
    /// made: no inner future is moved around (with the hooks on every
    /// execution, each move of a future is a `memcpy` of its whole size),
    /// and the span is entered around each poll of the run.
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
        if !inner.config.state.mutable {
            let result = {
                let run = pin!(crate::reference::run(inner, inputs, earlier, options));
                in_span(&watched, run).await
            };
            hooks.finish(watched, &inner.plan, result.as_ref().ok(), &inner.pool);
            return result;
        }
        let mut guard = self.start();
        guard.record_latency |= inner.asked_latency(options);
        let mut earlier = earlier;
        let started = match self.fill(&mut guard, &mut inputs.into_iter(), &mut earlier) {
            Ok(started) => started,
            Err(e) => {
                drop(guard);
                hooks.finish(watched, &inner.plan, None, &inner.pool);
                return Err(e);
            }
        };
        let mut counts = RunCounts::default();
        let ctx = inner.ctx(guard.record_latency);
        let (abort, end) = {
            let run = pin!(executor::drive(
                &ctx,
                guard.state_mut(),
                options,
                &mut counts,
                started
            ));
            in_span(&watched, run).await
        };
        guard.finished = true;
        let result = finish_result(inner, guard, started, end, abort, counts);
        hooks.finish(watched, &inner.plan, Some(&result), &inner.pool);
        Ok(result)
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

/// Polls `run` to its end, inside the execution's span (feature
/// `tracing`): entered for each poll, as `tracing::Instrument` does, but
/// without moving the future.
async fn in_span<F: Future>(watched: &Watched, mut run: Pin<&mut F>) -> F::Output {
    #[cfg(not(feature = "tracing"))]
    let _ = watched;
    poll_fn(|cx| {
        #[cfg(feature = "tracing")]
        let _entered = watched.span().enter();
        run.as_mut().poll(cx)
    })
    .await
}

/// A future polled through a function that is never inlined. The plain
/// path's `run_checked` awaits the observed path through it, so the
/// observed path's code (hooks, spans, a second executor call) stays out
/// of the plain path's poll function, whose code is then what it was
/// before hooks existed. It holds the future by pinned reference: the
/// observed future is made in place and never moved (a move is a `memcpy`
/// of its whole size).
pub(super) struct OutOfLine<'a, F> {
    future: Pin<&'a mut F>,
}

impl<'a, F> OutOfLine<'a, F> {
    /// Polls `future` out of line.
    pub(super) fn new(future: Pin<&'a mut F>) -> Self {
        OutOfLine { future }
    }
}

impl<F: Future> Future for OutOfLine<'_, F> {
    type Output = F::Output;

    #[inline(never)]
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        self.future.as_mut().poll(cx)
    }
}
