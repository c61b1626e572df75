//! [`dag-flow`](https://crates.io/crates/dag-flow): an async DAG workflow
//! engine whose tasks receive their dependencies' outputs as shared futures.
//!
//! The `Engine` is built once; each execution runs it on a fresh `Context`
//! (dag-flow's per-run store of shared futures, keyed by task id) inside a
//! current-thread tokio runtime. The inputs are not tasks: the context is
//! seeded with ready futures under the input value ids, which the engine
//! hands to the tasks that depend on them.

use std::collections::HashMap;
use std::hint::black_box;
use std::marker::PhantomData;

use dag_flow::context::Context;
use dag_flow::engine::Engine;
use dag_flow::task::{Input, Task};
use futures::FutureExt;

use super::{current_thread, Val};
use crate::contenders::{Contender, Runner};
use crate::workload::{Graph, Op};

/// dag-flow, on a current-thread tokio runtime.
pub struct DagFlow;

impl Contender for DagFlow {
    fn name(&self) -> String {
        "dag-flow (tokio current-thread)".into()
    }

    fn prepare(&self, graph: &Graph) -> Result<Box<dyn Runner>, String> {
        if graph.text {
            Ok(Box::new(DagFlowRunner::<String>::new(graph)?))
        } else {
            Ok(Box::new(DagFlowRunner::<i64>::new(graph)?))
        }
    }
}

/// One node: its value id, op and argument ids.
struct Node<V> {
    id: usize,
    op: Op,
    args: Vec<usize>,
    value: PhantomData<fn() -> V>,
}

impl<V: Val> Task<usize, V> for Node<V> {
    fn id(&self) -> usize {
        self.id
    }

    fn dependencies(&self) -> Vec<usize> {
        self.args.clone()
    }

    async fn run(&self, inputs: HashMap<usize, Input<'_, V>>) -> Option<V> {
        match self.args.as_slice() {
            [a] => {
                let a = inputs.get(a)?.clone().await?;
                Some(V::eval(self.op, [&a]))
            }
            [a, b] => {
                let a = inputs.get(a)?.clone().await?;
                let b = inputs.get(b)?.clone().await?;
                Some(V::eval(self.op, [&a, &b]))
            }
            args => {
                let mut values = Vec::with_capacity(args.len());
                for a in args {
                    values.push(inputs.get(a)?.clone().await?);
                }
                Some(V::eval(self.op, &values))
            }
        }
    }
}

struct DagFlowRunner<V: Val> {
    engine: Engine<'static, usize, V>,
    inputs: usize,
    outputs: Vec<usize>,
    rt: tokio::runtime::Runtime,
}

impl<V: Val> DagFlowRunner<V> {
    fn new(graph: &Graph) -> Result<Self, String> {
        let builder = Engine::builder();
        for (i, node) in graph.nodes.iter().enumerate() {
            builder.add_task(Node::<V> {
                id: graph.inputs + i,
                op: node.op,
                args: node.args.clone(),
                value: PhantomData,
            });
        }
        Ok(DagFlowRunner {
            engine: builder.build().map_err(|e| e.to_string())?,
            inputs: graph.inputs,
            outputs: graph.outputs.clone(),
            rt: current_thread()?,
        })
    }
}

impl<V: Val> Runner for DagFlowRunner<V> {
    #[inline(never)]
    fn run(&mut self, seed: i64) -> u64 {
        let (engine, inputs, outputs) = (&self.engine, self.inputs, &self.outputs);
        self.rt.block_on(async move {
            let context = Context::new();
            for i in 0..inputs {
                let v = V::input(seed, i);
                context.set(i, async move { Some(v) }.boxed().shared());
            }
            engine.run(context.clone()).await;
            let mut values = Vec::with_capacity(outputs.len());
            for o in outputs {
                let v = context.get(o).expect("output ran").await;
                values.push(v.expect("output value"));
            }
            black_box(V::fingerprint(&values))
        })
    }
}
