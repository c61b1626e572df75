//! [`async_dag`](https://crates.io/crates/async_dag): an async task graph
//! whose tasks are `FnOnce` closures returning futures, their parameters
//! curried from their parents' outputs (type-checked `Box<dyn Any>` values).
//!
//! A task runs once and its node then holds its value, so a graph cannot be
//! run again: each execution builds the graph (one task per input returning
//! the value, one per node, one edge per argument, with `add_child_task` for
//! the first argument and `update_dependency` for the others) and runs it on
//! a current-thread tokio runtime. Tasks take at most 12 parameters, so an
//! n-ary Sum of more than 12 values cannot be expressed.

use std::hint::black_box;

use async_dag::{Graph as AsyncGraph, NodeIndex};

use super::{current_thread, Val};
use crate::contenders::{Contender, Runner};
use crate::workload::{Graph, Op};

/// The most parameters an async_dag task takes.
const MAX_ARITY: usize = 12;

/// async_dag, rebuilt per execution, on a current-thread tokio runtime.
pub struct AsyncDag;

impl Contender for AsyncDag {
    fn name(&self) -> String {
        "async_dag (rebuilt per run)".into()
    }

    fn prepare(&self, graph: &Graph) -> Result<Box<dyn Runner>, String> {
        if let Some(n) = graph.nodes.iter().find(|n| n.args.len() > MAX_ARITY) {
            return Err(format!(
                "async_dag tasks take at most {MAX_ARITY} parameters; a {:?} node has {}",
                n.op,
                n.args.len()
            ));
        }
        Ok(Box::new(AsyncDagRunner {
            graph: graph.clone(),
            rt: current_thread()?,
        }))
    }
}

struct AsyncDagRunner {
    graph: Graph,
    rt: tokio::runtime::Runtime,
}

/// Adds a Sum task of the listed parameters, its first argument `parent`.
macro_rules! sum_task {
    ($g:expr, $parent:expr; $($p:ident)+) => {
        $g.add_child_task(
            $parent,
            |$($p: i64),+| async move { Op::Sum.int(&[$($p),+]) },
            0,
        )
        .expect("typed edge")
    };
}

/// Adds the task of `op` over `args` (values indexed by `ids`).
fn add_int_node(
    g: &mut AsyncGraph<'static>,
    op: Op,
    args: &[usize],
    ids: &[NodeIndex],
) -> NodeIndex {
    let p = ids[args[0]];
    let node = match (op, args.len()) {
        (Op::Inc, 1) => g
            .add_child_task(p, move |a: i64| async move { i64::eval(op, [&a]) }, 0)
            .expect("typed edge"),
        (Op::Add, 2) => g
            .add_child_task(
                p,
                move |a: i64, b: i64| async move { i64::eval(op, [&a, &b]) },
                0,
            )
            .expect("typed edge"),
        (Op::Sum, 1) => sum_task!(g, p; a0),
        (Op::Sum, 2) => sum_task!(g, p; a0 a1),
        (Op::Sum, 3) => sum_task!(g, p; a0 a1 a2),
        (Op::Sum, 4) => sum_task!(g, p; a0 a1 a2 a3),
        (Op::Sum, 5) => sum_task!(g, p; a0 a1 a2 a3 a4),
        (Op::Sum, 6) => sum_task!(g, p; a0 a1 a2 a3 a4 a5),
        (Op::Sum, 7) => sum_task!(g, p; a0 a1 a2 a3 a4 a5 a6),
        (Op::Sum, 8) => sum_task!(g, p; a0 a1 a2 a3 a4 a5 a6 a7),
        (Op::Sum, 9) => sum_task!(g, p; a0 a1 a2 a3 a4 a5 a6 a7 a8),
        (Op::Sum, 10) => sum_task!(g, p; a0 a1 a2 a3 a4 a5 a6 a7 a8 a9),
        (Op::Sum, 11) => sum_task!(g, p; a0 a1 a2 a3 a4 a5 a6 a7 a8 a9 a10),
        (Op::Sum, 12) => sum_task!(g, p; a0 a1 a2 a3 a4 a5 a6 a7 a8 a9 a10 a11),
        (op, n) => unreachable!("{op:?} of {n} integers (checked in prepare)"),
    };
    for (k, &a) in args.iter().enumerate().skip(1) {
        g.update_dependency(ids[a], node, k as u8)
            .expect("typed, acyclic edge");
    }
    node
}

impl Runner for AsyncDagRunner {
    #[inline(never)]
    fn run(&mut self, seed: i64) -> u64 {
        let graph = &self.graph;
        let mut g = AsyncGraph::new();
        let mut ids: Vec<NodeIndex> = Vec::with_capacity(graph.inputs + graph.nodes.len());
        if graph.text {
            let v = String::input(seed, 0);
            ids.push(g.add_task(move || async move { v }));
            for node in &graph.nodes {
                let op = node.op;
                let task = move |s: String| async move { String::eval(op, [&s]) };
                ids.push(
                    g.add_child_task(ids[node.args[0]], task, 0)
                        .expect("typed edge"),
                );
            }
            self.rt.block_on(g.run());
            let values: Vec<String> = graph
                .outputs
                .iter()
                .map(|&o| g.get_value::<String>(ids[o]).expect("output value"))
                .collect();
            return black_box(String::fingerprint(&values));
        }
        for i in 0..graph.inputs {
            let v = i64::input(seed, i);
            ids.push(g.add_task(move || async move { v }));
        }
        for node in &graph.nodes {
            let id = add_int_node(&mut g, node.op, &node.args, &ids);
            ids.push(id);
        }
        self.rt.block_on(g.run());
        let values: Vec<i64> = graph
            .outputs
            .iter()
            .map(|&o| g.get_value::<i64>(ids[o]).expect("output value"))
            .collect();
        black_box(i64::fingerprint(&values))
    }
}
