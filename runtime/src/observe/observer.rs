//! The observer hook: a trait a service implements to see every execution
//! of a program (started, each module's end, finished), set when the
//! program is bound ([`Program::bind_with`](crate::Program::bind_with),
//! [`Program::load_with`](crate::Program::load_with)).
//!
//! A program without an observer (and without the `tracing` or `metrics`
//! features) runs exactly the code it ran before observers existed: the
//! choice is made once per execution, on the same flag that already chose
//! between the slot executor and the reference executor, so the hot path
//! gains no instruction.
//!
//! With an observer, the per-module calls come at the end of the execution,
//! read from its state, not from inside the executor's loop: the loop stays
//! the same, and an observer that ignores modules costs nothing per
//! module. They come in the plan's module order, after the last module has
//! ended and before [`Observer::execution_finished`], on the thread that
//! finished the execution.

use std::time::Duration;

use asterism_compiler::{ModuleIx, NodeIx};
use uuid::Uuid;

use crate::result::{Abort, ExecutionResult, NodeFailure};
use crate::state::status::Phase;

/// What a service implements to watch a program's executions. Every method
/// has an empty default; implement the ones you need.
///
/// The calls are made on the thread running the execution, inside it: keep
/// them short (count, record into a histogram, send to a channel), and do
/// not block. A panic in an observer is not caught: it unwinds through the
/// call that ran the execution.
pub trait Observer: Send + Sync + 'static {
    /// An execution is about to check its inputs and run.
    fn execution_started(&self, started: &ExecutionStarted<'_>) {
        let _ = started;
    }

    /// A module of the execution ended (completed, failed, timed out,
    /// skipped or cancelled). Called for every module node of the plan,
    /// after the execution's last module ended.
    fn module_finished(&self, module: &ModuleFinished<'_>) {
        let _ = module;
    }

    /// The execution ended (or its inputs were refused).
    fn execution_finished(&self, finished: &ExecutionFinished<'_>) {
        let _ = finished;
    }
}

/// An execution about to run.
#[derive(Clone, Copy, Debug)]
pub struct ExecutionStarted<'a> {
    /// The pipeline's name.
    pub pipeline: &'a str,
    /// The execution's number: unique within the program, and increasing
    /// among the executions of one thread (numbers are handed out per
    /// thread shard without contention, so they are not dense).
    pub execution: u64,
}

/// One module's end, in an execution.
#[derive(Clone, Copy, Debug)]
pub struct ModuleFinished<'a> {
    /// The pipeline's name.
    pub pipeline: &'a str,
    /// The execution's number (as in [`ExecutionStarted::execution`]).
    pub execution: u64,
    /// The module's index in the plan.
    pub module: ModuleIx,
    /// Its node's index in the plan.
    pub node: NodeIx,
    /// Its node's UUID in the spec.
    pub uuid: Uuid,
    /// Its node's name in the spec.
    pub name: &'a str,
    /// How it ended: `Completed`, `Failed`, `TimedOut`, `Skipped`,
    /// `Cancelled`, or `Waiting` for a module an aborted execution never
    /// reached.
    pub phase: Phase,
    /// How long it ran, when this execution recorded module latencies
    /// (`None` in executions the sampling did not draw: see
    /// `latency-sample-every`, and for modules that did not run).
    pub latency: Option<Duration>,
    /// Why it failed or timed out.
    pub failure: Option<&'a NodeFailure>,
    /// For a skipped module, the UUID of the failed node upstream that
    /// caused it.
    pub skipped_because: Option<Uuid>,
}

/// How an execution ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// Every node completed.
    Succeeded,
    /// Some node failed, timed out or was skipped.
    Failed,
    /// The execution was cancelled or ran past its deadline.
    Aborted(Abort),
    /// Its inputs were refused; nothing ran.
    Rejected,
}

impl Outcome {
    /// The outcome's label in metrics and traces: `succeeded`, `failed`,
    /// `cancelled`, `deadline_exceeded` or `rejected`.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Succeeded => "succeeded",
            Outcome::Failed => "failed",
            Outcome::Aborted(Abort::Cancelled) => "cancelled",
            Outcome::Aborted(Abort::DeadlineExceeded) => "deadline_exceeded",
            Outcome::Rejected => "rejected",
        }
    }

    /// The outcome of a run that produced `result`.
    pub fn of(result: &ExecutionResult<'_>) -> Outcome {
        match result.abort() {
            Some(abort) => Outcome::Aborted(abort),
            None if result.is_success() => Outcome::Succeeded,
            None => Outcome::Failed,
        }
    }
}

/// An execution's end.
#[derive(Clone, Copy, Debug)]
pub struct ExecutionFinished<'a> {
    /// The pipeline's name.
    pub pipeline: &'a str,
    /// The execution's number (as in [`ExecutionStarted::execution`]).
    pub execution: u64,
    /// How it ended.
    pub outcome: Outcome,
    /// Its total latency (as [`ExecutionResult::total_latency`]); zero for
    /// a rejected execution.
    pub total: Duration,
    /// Whether it recorded module latencies (the sampling drew it, or it
    /// asked with `RunOptions::record_latency`).
    pub sampled: bool,
    /// The result, to read anything else (outputs, statuses); `None` for a
    /// rejected execution.
    pub result: Option<&'a ExecutionResult<'a>>,
}
