//! Peers from crates.io, on the shapes each can express (feature `peers`).
//!
//! Every peer computes each node with the workload's own functions
//! ([`Op::int`] / [`Op::text`]) and fingerprints the values of
//! `graph.outputs` in order, so its result is checked against the floor's.
//! Module bodies are kept trivial: what a peer adds over the floor is its own
//! scheduling, value passing and bookkeeping.
//!
//! | peer | crate | how it runs | shapes |
//! |---|---|---|---|
//! | [`dag_exec`] | `dag_exec` 0.1 | built once, `run_sequential` per execution | all |
//! | [`dag_flow`] | `dag-flow` 0.1 | built once, `Engine::run` per execution (tokio) | all |
//! | [`dagrs`] | `dagrs` 0.9 | built once, `reset` + `async_start` per execution (tokio) | all |
//! | [`async_dag`] | `async_dag` 0.1 | rebuilt per execution (tasks are `FnOnce`) (tokio) | Sum of at most 12 inputs |
//!
//! How the run's inputs reach each peer, without rebuilding what can be
//! reused:
//! - `dag_exec`'s sources are fixed at build time, so each input is a task
//!   without dependencies reading the execution's seed from a shared cell;
//! - `dag-flow` reads dependencies from a caller-provided `Context`, so each
//!   execution's fresh context is seeded with ready futures for the inputs;
//! - `dagrs` nodes read the inputs from the graph's `EnvVar`, set per
//!   execution (the other values travel over dagrs' channels);
//! - `async_dag` graphs are rebuilt anyway: inputs are tasks returning the
//!   values.

pub mod async_dag;
pub mod dag_exec;
pub mod dag_flow;
pub mod dagrs;

use crate::contenders::{int_inputs, text_input, Contender};
use crate::workload::{fingerprint_ints, fingerprint_texts, Op};

/// Every peer contender.
pub fn all() -> Vec<Box<dyn Contender>> {
    vec![
        Box::new(dag_exec::DagExec),
        Box::new(dag_flow::DagFlow),
        Box::new(dagrs::Dagrs),
        Box::new(async_dag::AsyncDag),
    ]
}

/// A value of a workload: `i64` for integer graphs, `String` for text graphs.
pub(crate) trait Val: Clone + Send + Sync + 'static {
    /// Input `i` of execution `seed`.
    fn input(seed: i64, i: usize) -> Self;

    /// Node `op` over its arguments (in the node's order).
    fn eval<'a>(op: Op, args: impl IntoIterator<Item = &'a Self>) -> Self;

    /// The fingerprint of the output values, in order.
    fn fingerprint<'a>(values: impl IntoIterator<Item = &'a Self>) -> u64;
}

impl Val for i64 {
    #[inline]
    fn input(seed: i64, i: usize) -> i64 {
        let (x, y) = int_inputs(seed);
        if i == 0 {
            x
        } else {
            y
        }
    }

    #[inline]
    fn eval<'a>(op: Op, args: impl IntoIterator<Item = &'a i64>) -> i64 {
        let mut args = args.into_iter().copied();
        match op {
            Op::Inc => op.int(&[args.next().expect("argument")]),
            Op::Add => {
                let a = args.next().expect("argument");
                op.int(&[a, args.next().expect("argument")])
            }
            _ => op.int(&args.collect::<Vec<i64>>()),
        }
    }

    #[inline]
    fn fingerprint<'a>(values: impl IntoIterator<Item = &'a i64>) -> u64 {
        fingerprint_ints(values.into_iter().copied())
    }
}

impl Val for String {
    #[inline]
    fn input(seed: i64, _: usize) -> String {
        text_input(seed).to_owned()
    }

    #[inline]
    fn eval<'a>(op: Op, args: impl IntoIterator<Item = &'a String>) -> String {
        op.text(args.into_iter().next().expect("argument"))
    }

    #[inline]
    fn fingerprint<'a>(values: impl IntoIterator<Item = &'a String>) -> u64 {
        fingerprint_texts(values.into_iter().map(String::as_str))
    }
}

/// A current-thread tokio runtime for the async peers.
pub(crate) fn current_thread() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())
}
