//! The dense numbering of a spec's nodes: which UUID becomes module 0, 1,
//! 2, ... and which becomes slot 0, 1, 2, ...
//!
//! Any numbering is correct; this one is chosen for the executor's memory
//! access. A run walks the nodes in a topological order and touches, per
//! module, its record, its status word, its latency word, its input slots
//! and its output slot, all indexed by these numbers. Numbered in UUID
//! order (random with respect to the graph), a walk over a plan larger than
//! the cache misses on every one of them; numbered in walk order, it reads
//! each array front to back, which the hardware prefetches. (At 10,000
//! modules, UUID order made a trivial module cost about 1.6 times what it
//! costs at 50.)
//!
//! The order is Kahn's, first in first out, over modules and data nodes
//! together, with sources and ties in UUID order, so it is deterministic
//! and matches the order [`crate::compile`] later derives for the plan's
//! nodes. Whatever Kahn cannot place (a cycle, or behind one) follows in
//! UUID order; the compiler reports those problems itself, and edges naming
//! unknown UUIDs are skipped here for the same reason.

use std::collections::{HashMap, VecDeque};

use uuid::Uuid;

use crate::spec::DagSpec;

/// Module UUIDs and data node UUIDs, each in the order to number them.
pub(crate) fn walk_order(spec: &DagSpec) -> (Vec<Uuid>, Vec<Uuid>) {
    let modules: Vec<Uuid> = spec.modules.keys().copied().collect();
    let data: Vec<Uuid> = spec.data.keys().copied().collect();
    let module_count = modules.len();
    // Vertices: modules `0..module_count`, then data nodes. A UUID used for
    // both (an error reported by the compiler) keeps its module vertex.
    let mut vertex: HashMap<Uuid, usize> = HashMap::with_capacity(modules.len() + data.len());
    for (i, &u) in modules.iter().chain(&data).enumerate() {
        vertex.entry(u).or_insert(i);
    }
    let is_module = |v: usize| v < module_count;
    let count = module_count + data.len();
    let mut successors: Vec<Vec<usize>> = vec![Vec::new(); count];
    let mut indegree = vec![0u32; count];
    let mut edge = |from: usize, to: usize| {
        successors[from].push(to);
        indegree[to] += 1;
    };
    for (d, m) in &spec.in_edges {
        if let (Some(&d), Some(&m)) = (vertex.get(d), vertex.get(m)) {
            if !is_module(d) && is_module(m) {
                edge(d, m);
            }
        }
    }
    for (m, d) in &spec.out_edges {
        if let (Some(&m), Some(&d)) = (vertex.get(m), vertex.get(d)) {
            if is_module(m) && !is_module(d) {
                edge(m, d);
            }
        }
    }
    for (uuid, node) in &spec.data {
        let Some(&d) = vertex.get(uuid) else { continue };
        for source in node.transform_inputs.values() {
            if let Some(&s) = vertex.get(source) {
                if !is_module(s) && !is_module(d) {
                    edge(s, d);
                }
            }
        }
    }

    // Successors in vertex (UUID) order: the numbering must not depend on
    // the order the spec lists its edges in.
    for s in &mut successors {
        s.sort_unstable();
    }
    let mut placed = vec![false; count];
    let mut queue: VecDeque<usize> = (0..count).filter(|&v| indegree[v] == 0).collect();
    let (mut module_order, mut data_order) = (Vec::new(), Vec::new());
    while let Some(v) = queue.pop_front() {
        placed[v] = true;
        if is_module(v) {
            module_order.push(modules[v]);
        } else {
            data_order.push(data[v - module_count]);
        }
        for &s in &successors[v] {
            indegree[s] -= 1;
            if indegree[s] == 0 {
                queue.push_back(s);
            }
        }
    }
    for (v, &done) in placed.iter().enumerate() {
        match (done, is_module(v)) {
            (true, _) => {}
            (false, true) => module_order.push(modules[v]),
            (false, false) => data_order.push(data[v - module_count]),
        }
    }
    (module_order, data_order)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builder::DagBuilder;
    use crate::CType;

    #[test]
    fn a_chain_is_numbered_along_the_chain_whatever_its_uuids() {
        let mut b = DagBuilder::seeded("chain", 7);
        let mut prev = b.input("x", CType::Int);
        let mut modules = Vec::new();
        for i in 0..20 {
            let m = b.module("inc");
            b.bind(prev, m, "v");
            prev = b.produce(m, "out", format!("v{i}"), CType::Int);
            modules.push(b.module_uuid(m).expect("a module of this builder"));
        }
        b.output("end", prev);
        let spec = b.build();
        let (module_order, data_order) = walk_order(&spec);
        assert_eq!(module_order, modules, "modules in chain order");
        assert_eq!(data_order.len(), 21);
        assert_eq!(spec.data[&data_order[0]].name, "x", "the input first");
        for (i, d) in data_order[1..].iter().enumerate() {
            assert_eq!(spec.data[d].name, format!("v{i}"));
        }
        let mut sorted = modules.clone();
        sorted.sort();
        assert_ne!(sorted, modules, "the seed's UUIDs are not already in order");
    }

    #[test]
    fn every_node_is_numbered_once_even_in_a_cycle() {
        let mut b = DagBuilder::seeded("loop", 3);
        let x = b.input("x", CType::Int);
        let a = b.module("a");
        let c = b.module("c");
        b.bind(x, a, "v");
        let ab = b.produce(a, "out", "ab", CType::Int);
        b.bind(ab, c, "v");
        let ca = b.produce(c, "out", "ca", CType::Int);
        b.bind(ca, a, "w");
        let spec = b.build();
        let (module_order, data_order) = walk_order(&spec);
        let mut m = module_order.clone();
        m.sort();
        assert_eq!(m, spec.modules.keys().copied().collect::<Vec<_>>());
        let mut d = data_order.clone();
        d.sort();
        assert_eq!(d, spec.data.keys().copied().collect::<Vec<_>>());
    }
}
