//! Step 6: the nodes ordered topologically (Kahn), depth measured, cycles
//! reported. Scratch arrays live in a `bumpalo` arena the caller drops.

use bumpalo::collections::Vec as BumpVec;
use bumpalo::Bump;

use crate::ids::{Csr, NodeIx, SlotIx};
use crate::plan::UNBOUND_SLOT;

/// The topological order of the nodes, their depth, and any cycles.
pub(super) struct Order {
    /// The nodes in a topological order (those on or after a cycle left out).
    pub(super) order: Vec<NodeIx>,
    /// The longest chain of nodes.
    pub(super) depth: u32,
    /// Each cycle, as a path whose first node repeats at the end.
    pub(super) cycles: Vec<Vec<NodeIx>>,
}

/// Kahn's algorithm over nodes; on leftovers, walks predecessor links to
/// report each cycle once, as a path whose first node repeats at the end.
pub(super) fn topological_order(
    bump: &Bump,
    node_count: usize,
    node_inputs: &Csr<SlotIx>,
    node_outputs: &Csr<SlotIx>,
    slot_consumers: &Csr<NodeIx>,
    producer_node: &dyn Fn(SlotIx) -> Option<NodeIx>,
) -> Order {
    let mut indegree = BumpVec::with_capacity_in(node_count, bump);
    let mut depth = BumpVec::with_capacity_in(node_count, bump);
    for n in 0..node_count {
        let preds = node_inputs
            .row(n)
            .iter()
            .filter(|s| producer_node(**s).is_some())
            .count();
        indegree.push(preds as u32);
        depth.push(1u32);
    }
    let mut order: Vec<NodeIx> = (0..node_count as u32)
        .filter(|&n| indegree[n as usize] == 0)
        .map(NodeIx)
        .collect();
    let mut head = 0;
    while head < order.len() {
        let n = order[head];
        head += 1;
        for &s in node_outputs.row(n.ix()) {
            if s == UNBOUND_SLOT {
                continue;
            }
            for &c in slot_consumers.row(s.ix()) {
                depth[c.ix()] = depth[c.ix()].max(depth[n.ix()] + 1);
                indegree[c.ix()] -= 1;
                if indegree[c.ix()] == 0 {
                    order.push(c);
                }
            }
        }
    }
    let max_depth = if node_count == 0 {
        0
    } else {
        depth.iter().copied().max().unwrap_or(0)
    };
    let mut cycles = Vec::new();
    if order.len() < node_count {
        // 0 = not visited, k = visited in walk k.
        let mut walk_of = BumpVec::from_iter_in(std::iter::repeat_n(0u32, node_count), bump);
        let mut walk = 0;
        for start in 0..node_count {
            if indegree[start] == 0 || walk_of[start] != 0 {
                continue;
            }
            walk += 1;
            let mut path = BumpVec::new_in(bump);
            let mut n = NodeIx(start as u32);
            loop {
                if walk_of[n.ix()] == walk {
                    // A new cycle: the part of the path from n's first visit.
                    let from = path
                        .iter()
                        .position(|&p| p == n)
                        .expect("visited in this walk");
                    let mut cycle: Vec<NodeIx> = path[from..].to_vec();
                    cycle.reverse();
                    cycle.push(cycle[0]);
                    cycles.push(cycle);
                    break;
                }
                if walk_of[n.ix()] != 0 {
                    break; // reached a cycle reported by an earlier walk
                }
                walk_of[n.ix()] = walk;
                path.push(n);
                // Every leftover node has a leftover predecessor.
                let pred = node_inputs
                    .row(n.ix())
                    .iter()
                    .filter_map(|&s| producer_node(s))
                    .find(|p| indegree[p.ix()] > 0)
                    .expect("a node left by Kahn has a predecessor left too");
                n = pred;
            }
        }
    }
    Order {
        order,
        depth: max_depth,
        cycles,
    }
}
