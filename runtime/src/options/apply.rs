//! A module node with options, as the executor runs it: the node's plain
//! body wrapped in its [`PolicyNode`], called with owned input values, and
//! the settled call turned into the values its output slots get.
//!
//! The executor reaches this file only for nodes whose body is
//! `NodeBody::Optioned` (decided at bind time); a node without options
//! never does. Here the per-call work is allowed: the inputs are copied out
//! of the slots (a module with options may outlive the pass that started
//! it, across backoff waits), a cache key is built for cached modules, and
//! the outputs are written from the settled value.
//!
//! The last step, per `Settled`:
//! - `Output`: the module's (or the cache's) value; with `wrap`, as the
//!   wrapped union's `value` side;
//! - `Fallback`: the fallback input's value (wrapped likewise);
//! - `Missing` (`skip`, `log`): the output type's zero value;
//! - `WrappedError`: the wrapped union's `error` side;
//! - `Failed`: the node fails (timed out if the last attempt did);
//! - `Interrupted`: the run was cancelled or is past its deadline.

use std::sync::Arc;

use asterism_compiler::{CValue, ModuleSignature, SlotIx};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::policy::OnError;
use super::runner::{CallFailure, CallOutcome, PolicyNode, Settled};
use super::values::{wrap, zero_value};
use super::wait::{Bounds, Interrupted};
use crate::modules::module::{
    Body, BoxFuture, ModuleError, ModuleInputs, ModuleOutput, ModuleOutputs,
};
use crate::state::failure::NodeFailure;

/// A module node with options: its policy and its plain body.
pub(crate) struct OptionedBody {
    /// The applied options and their shared state.
    pub(crate) node: Arc<PolicyNode>,
    /// The module's own body.
    pub(crate) inner: Body,
    /// The module's signature.
    pub(crate) sig: Arc<ModuleSignature>,
    /// The fallback input's slot.
    pub(crate) fallback: Option<SlotIx>,
}

/// How a call with options ended, for the executor.
#[derive(Debug)]
pub(crate) enum Finished {
    /// The values of the outputs, in output order (unbound ones included).
    Outputs(ModuleOutput),
    /// The node fails.
    Failed(NodeFailure),
    /// The run stopped.
    Aborted(Interrupted),
}

impl OptionedBody {
    /// One attempt of a sync body, with values.
    fn call_sync(
        inner: &Body,
        sig: &ModuleSignature,
        values: &[&CValue],
    ) -> Result<ModuleOutput, ModuleError> {
        let inputs = ModuleInputs::from_values(values, sig);
        let body = match inner {
            Body::Typed(typed) => return (typed.with_values)(&inputs).map(ModuleOutput::One),
            Body::Sync(body) => body,
            Body::TypedAsync(_) | Body::Async(_) => {
                return Err(ModuleError::new(
                    "an async module was called as a sync one (an executor bug)",
                ))
            }
        };
        let mut outs: Vec<Option<CValue>> = vec![None; sig.outputs.len()];
        body(&inputs, &mut ModuleOutputs::collect(&mut outs, sig))?;
        let written = outs.iter().filter(|o| o.is_some()).count();
        if written < outs.len() {
            return Err(ModuleError::new(format!(
                "module `{}` wrote {written} of its {} outputs; it must write every output",
                sig.name,
                outs.len()
            )));
        }
        let mut values: Vec<CValue> = outs.into_iter().flatten().collect();
        Ok(if values.len() == 1 {
            ModuleOutput::One(values.pop().expect("one"))
        } else {
            ModuleOutput::Many(values)
        })
    }

    /// The call on the calling thread (`run_sync`, a sync body): every
    /// wait blocks it.
    pub(crate) fn call_blocking(
        &self,
        values: &[&CValue],
        fallback: Option<&CValue>,
        deadline: Option<Instant>,
        cancel: Option<&CancellationToken>,
    ) -> (Finished, CallOutcome) {
        let bounds = Bounds::new(deadline, cancel);
        let (settled, outcome) = self.node.run_blocking(values, &bounds, || {
            Self::call_sync(&self.inner, &self.sig, values)
        });
        (finish(&self.node, &self.sig, settled, fallback), outcome)
    }

    /// The call as a future owning what it needs (`run`, any body). The
    /// run's deadline and cancellation end its waits; dropping it ends it
    /// too (a permit held is released, a flight is handed on).
    pub(crate) fn call_async(
        self: &Arc<Self>,
        values: Vec<CValue>,
        fallback: Option<CValue>,
        deadline: Option<Instant>,
        cancel: Option<CancellationToken>,
    ) -> BoxFuture<(Finished, CallOutcome)> {
        let this = Arc::clone(self);
        Box::pin(async move {
            let refs: Vec<&CValue> = values.iter().collect();
            let bounds = Bounds::new(deadline, cancel.as_ref());
            let (settled, outcome) = this
                .node
                .run(&refs, &bounds, || {
                    let attempt: BoxFuture<Result<ModuleOutput, ModuleError>> = match &this.inner {
                        Body::Async(body) => body(&ModuleInputs::from_values(&refs, &this.sig)),
                        Body::TypedAsync(typed) => {
                            (typed.with_values)(&ModuleInputs::from_values(&refs, &this.sig))
                        }
                        sync => {
                            let r = Self::call_sync(sync, &this.sig, &refs);
                            Box::pin(async move { r })
                        }
                    };
                    attempt
                })
                .await;
            let finished = finish(&this.node, &this.sig, settled, fallback.as_ref());
            (finished, outcome)
        })
    }
}

/// A settled call as the values its outputs get (module docs).
fn finish(
    node: &PolicyNode,
    sig: &ModuleSignature,
    settled: Settled,
    fallback: Option<&CValue>,
) -> Finished {
    let wraps = node.policy().on_error == OnError::Wrap;
    let one_type = || &sig.outputs[0].ty;
    let value = |out: ModuleOutput| -> Finished {
        match out {
            ModuleOutput::One(v) if wraps => {
                Finished::Outputs(ModuleOutput::One(wrap(Ok(v), one_type())))
            }
            out => Finished::Outputs(out),
        }
    };
    match settled {
        Settled::Output(shared) => value(Arc::unwrap_or_clone(shared)),
        Settled::Fallback => match fallback {
            Some(v) => value(ModuleOutput::One(v.clone())),
            None => Finished::Failed(NodeFailure::error(ModuleError::new(
                "the fallback input has no value (an executor bug: inputs are written before any module runs)",
            ))),
        },
        Settled::Missing => {
            let zeros: Option<Vec<CValue>> =
                sig.outputs.iter().map(|p| zero_value(&p.ty)).collect();
            match zeros {
                Some(mut z) if z.len() == 1 => Finished::Outputs(ModuleOutput::One(z.pop().expect("one"))),
                Some(z) => Finished::Outputs(ModuleOutput::Many(z)),
                None => Finished::Failed(NodeFailure::error(ModuleError::new(
                    "no zero value to skip with (checked at bind: an executor bug)",
                ))),
            }
        }
        Settled::WrappedError(e) => {
            Finished::Outputs(ModuleOutput::One(wrap(Err(e.to_string()), one_type())))
        }
        Settled::Failed(CallFailure::Timeout(limit)) => Finished::Failed(NodeFailure::timeout(limit)),
        Settled::Failed(CallFailure::Error(e)) => Finished::Failed(NodeFailure::error(e)),
        Settled::Interrupted(i) => Finished::Aborted(i),
    }
}
