//! [`dag_exec`](https://crates.io/crates/dag_exec): a std-only, sync DAG
//! executor (`DagBuilder` of keyed tasks over `&[Arc<O>]`, `Executor`).
//!
//! The DAG is built once; each execution calls `Executor::run_sequential`
//! for the graph's outputs (it computes their transitive dependencies,
//! Kahn-style, with every value in an `Arc`). `run_parallel` is not measured:
//! it spawns a fresh pool of OS threads per call.
//!
//! dag_exec's sources hold values fixed at build time, so the inputs are
//! tasks without dependencies that read the execution's seed from a shared
//! cell (one atomic load each).

use std::convert::Infallible;
use std::hint::black_box;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use dag_exec::{Dag, DagBuilder, Executor, ExecutorConfig};

use super::Val;
use crate::contenders::{Contender, Runner};
use crate::workload::Graph;

/// dag_exec, sequential executor.
pub struct DagExec;

impl Contender for DagExec {
    fn name(&self) -> String {
        "dag_exec (sequential)".into()
    }

    fn prepare(&self, graph: &Graph) -> Result<Box<dyn Runner>, String> {
        if graph.text {
            Ok(Box::new(DagExecRunner::<String>::new(graph)?))
        } else {
            Ok(Box::new(DagExecRunner::<i64>::new(graph)?))
        }
    }
}

struct DagExecRunner<V: Val> {
    dag: Dag<usize, V, Infallible>,
    executor: Executor,
    seed: Arc<AtomicI64>,
    outputs: Vec<usize>,
}

impl<V: Val> DagExecRunner<V> {
    fn new(graph: &Graph) -> Result<Self, String> {
        let seed = Arc::new(AtomicI64::new(0));
        // Keys are the workload's value indices.
        let mut b = DagBuilder::<usize, V, Infallible>::new();
        for i in 0..graph.inputs {
            let seed = Arc::clone(&seed);
            b.add_task(i, Vec::new(), move |_: &[Arc<V>]| {
                Ok(V::input(seed.load(Ordering::Relaxed), i))
            })
            .map_err(|e| e.to_string())?;
        }
        for (i, node) in graph.nodes.iter().enumerate() {
            let op = node.op;
            b.add_task(
                graph.inputs + i,
                node.args.clone(),
                move |xs: &[Arc<V>]| Ok(V::eval(op, xs.iter().map(|x| &**x))),
            )
            .map_err(|e| e.to_string())?;
        }
        Ok(DagExecRunner {
            dag: b.build().map_err(|e| e.to_string())?,
            executor: Executor::new(ExecutorConfig::default()),
            seed,
            outputs: graph.outputs.clone(),
        })
    }
}

impl<V: Val> Runner for DagExecRunner<V> {
    #[inline(never)]
    fn run(&mut self, seed: i64) -> u64 {
        self.seed.store(seed, Ordering::Relaxed);
        let out = self
            .executor
            .run_sequential(&self.dag, self.outputs.iter().copied())
            .expect("dag_exec run");
        black_box(V::fingerprint(self.outputs.iter().map(|o| &*out[o])))
    }
}
