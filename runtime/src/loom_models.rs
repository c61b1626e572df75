//! loom models of the state protocol (see the rules in [`crate::state`]).
//!
//! Each model runs the real `StatusCell`, slot, pending-count and
//! `exec::propagate::finish` code on loom's atomics, and loom explores every
//! interleaving of the threads. Run with
//! `RUSTFLAGS="--cfg asterism_loom" cargo test -p asterism-runtime --release --lib loom_models`
//! (a custom cfg name, because `--cfg loom` also switches tokio into its own
//! loom mode, which only builds inside tokio's workspace).
//!
//! | model | rules |
//! |---|---|
//! | `diamond_runs_the_join_once_and_sees_both_inputs` | S2, S3, S5 |
//! | `fan_in_with_a_failing_input_skips_and_never_starts_the_join` | S5, S6 |
//! | `cancellation_racing_completion_has_one_winner` | S2, S3, S7 |
//! | `reset_then_reuse_is_clean_and_correct` | S9, S10 |
//! | `a_straggler_of_an_old_generation_changes_nothing` | S4 |
//! | `a_straggler_holding_the_state_prevents_its_reuse` | S10 |

use loom::sync::Arc;
use loom::thread;

use asterism_compiler::{
    compile, CType, CValue, DagBuilder, ModuleSignature, NodeIx, Plan, Signatures, SlotIx,
};

use crate::exec::propagate::finish;
use crate::exec::RunCounts;
use crate::modules::module::ModuleError;
use crate::state::failure::NodeFailure;
use crate::state::status::{Phase, Transition};
use crate::state::sync::Ordering;
use crate::state::{ExecutionState, Scratch, Shared};

/// x -> A, x -> B, (A, B) -> C: the smallest join.
struct Diamond {
    plan: Plan,
    x: SlotIx,
    a: NodeIx,
    b: NodeIx,
    c: NodeIx,
}

fn diamond() -> Diamond {
    let sigs: Signatures = [
        ModuleSignature::new("neg", [("v", CType::Int)], [("out", CType::Int)]),
        ModuleSignature::new(
            "add",
            [("l", CType::Int), ("r", CType::Int)],
            [("out", CType::Int)],
        ),
    ]
    .into_iter()
    .collect();
    let mut b = DagBuilder::seeded("diamond", 1);
    let x = b.input("x", CType::Int);
    let ma = b.module("neg");
    b.bind(x, ma, "v");
    let va = b.produce(ma, "out", "a", CType::Int);
    let mb = b.module("neg");
    b.bind(x, mb, "v");
    let vb = b.produce(mb, "out", "b", CType::Int);
    let mc = b.module("add");
    b.bind(va, mc, "l");
    b.bind(vb, mc, "r");
    let vc = b.produce(mc, "out", "c", CType::Int);
    b.output("c", vc);
    let (ua, ub, uc) = (b.module_uuid(ma), b.module_uuid(mb), b.module_uuid(mc));
    let ux = b.data_uuid(x);
    let plan = compile(&b.build(), &sigs).expect("the diamond compiles");
    let node = |u| {
        (0..plan.module_count() as u32)
            .map(NodeIx)
            .find(|n| Some(plan.node_uuid(*n)) == u)
            .expect("a module of the plan")
    };
    let x = (0..plan.slot_count() as u32)
        .map(SlotIx)
        .find(|s| Some(plan.slot_uuid(*s)) == ux)
        .expect("the input slot");
    Diamond {
        a: node(ua),
        b: node(ub),
        c: node(uc),
        x,
        plan,
    }
}

/// Writes the input and returns the state with x's consumers ready.
fn start(d: &Diamond) -> ExecutionState {
    let state = ExecutionState::new(&d.plan);
    state.shared.slots[d.x.ix()]
        .set(CValue::Int(5))
        .expect("fresh slot");
    for &n in d.plan.slot_consumers(d.x) {
        state.shared.pending[n.ix()].fetch_sub(1, Ordering::AcqRel);
    }
    state
}

/// Runs negation node `n` as its runner would: start, read, write, finish.
fn run_neg(plan: &Plan, shared: &Shared, scratch: &mut Scratch, generation: u32, n: NodeIx) {
    assert_eq!(shared.status[n.ix()].start(generation), Transition::Done);
    complete_neg(plan, shared, scratch, generation, n);
}

/// The part of `run_neg` after the start: read, write, finish.
fn complete_neg(plan: &Plan, shared: &Shared, scratch: &mut Scratch, generation: u32, n: NodeIx) {
    let input = plan.node_inputs(n)[0];
    let v = shared.slots[input.ix()]
        .get()
        .and_then(CValue::as_int)
        .expect("input written (S5)");
    let out = plan.node_outputs(n)[0];
    shared.slots[out.ix()]
        .set(CValue::Int(-v))
        .expect("only the runner writes (S3)");
    finish(
        plan,
        shared,
        scratch,
        generation,
        n,
        Ok(()),
        &mut RunCounts::default(),
    );
}

/// Runs the join if this thread made it ready; returns whether it did.
fn run_join_if_ready(d: &Diamond, shared: &Shared, scratch: &mut Scratch, generation: u32) -> bool {
    if !scratch.ready.contains(&d.c) {
        return false;
    }
    assert_eq!(
        shared.status[d.c.ix()].start(generation),
        Transition::Done,
        "one runner (S2)"
    );
    let [l, r] = [0, 1].map(|i| {
        let s = d.plan.node_inputs(d.c)[i];
        shared.slots[s.ix()]
            .get()
            .and_then(CValue::as_int)
            .expect("both inputs visible (S5)")
    });
    let out = d.plan.node_outputs(d.c)[0];
    shared.slots[out.ix()]
        .set(CValue::Int(l + r))
        .expect("written once");
    finish(
        &d.plan,
        shared,
        scratch,
        generation,
        d.c,
        Ok(()),
        &mut RunCounts::default(),
    );
    true
}

#[test]
fn diamond_runs_the_join_once_and_sees_both_inputs() {
    loom::model(|| {
        let d = Arc::new(diamond());
        let state = Arc::new(start(&d));
        let generation = state.generation();
        let workers: Vec<_> = [d.a, d.b]
            .into_iter()
            .map(|n| {
                let (d, state) = (d.clone(), state.clone());
                thread::spawn(move || {
                    let mut scratch = Scratch::for_plan(&d.plan);
                    run_neg(&d.plan, &state.shared, &mut scratch, generation, n);
                    run_join_if_ready(&d, &state.shared, &mut scratch, generation)
                })
            })
            .collect();
        let joins: usize = workers
            .into_iter()
            .map(|w| usize::from(w.join().unwrap()))
            .sum();
        assert_eq!(joins, 1, "exactly one thread runs the join");
        assert!(state.all_terminal());
        let out = d.plan.node_outputs(d.c)[0];
        assert_eq!(state.shared.slots[out.ix()].get(), Some(&CValue::Int(-10)));
    });
}

#[test]
fn fan_in_with_a_failing_input_skips_and_never_starts_the_join() {
    loom::model(|| {
        let d = Arc::new(diamond());
        let state = Arc::new(start(&d));
        let generation = state.generation();
        let ok = {
            let (d, state) = (d.clone(), state.clone());
            thread::spawn(move || {
                let mut scratch = Scratch::for_plan(&d.plan);
                run_neg(&d.plan, &state.shared, &mut scratch, generation, d.a);
                run_join_if_ready(&d, &state.shared, &mut scratch, generation)
            })
        };
        let failing = {
            let (d, state) = (d.clone(), state.clone());
            thread::spawn(move || {
                let mut scratch = Scratch::for_plan(&d.plan);
                assert_eq!(
                    state.shared.status[d.b.ix()].start(generation),
                    Transition::Done
                );
                let failure = NodeFailure::error(ModuleError::new("boom"));
                finish(
                    &d.plan,
                    &state.shared,
                    &mut scratch,
                    generation,
                    d.b,
                    Err(failure),
                    &mut RunCounts::default(),
                );
                run_join_if_ready(&d, &state.shared, &mut scratch, generation)
            })
        };
        assert!(!ok.join().unwrap(), "the join never becomes ready");
        assert!(!failing.join().unwrap());
        let c = state.shared.status[d.c.ix()].load();
        assert_eq!(c.phase(), Phase::Skipped);
        assert_eq!(c.upstream(), Some(d.b));
        assert!(state.all_terminal(), "the run can end (S6)");
        let out = d.plan.node_outputs(d.c)[0];
        assert_eq!(state.shared.slots[out.ix()].get(), None);
    });
}

#[test]
fn cancellation_racing_completion_has_one_winner() {
    loom::model(|| {
        let d = Arc::new(diamond());
        let state = Arc::new(start(&d));
        let generation = state.generation();
        // A is running when the race begins.
        assert_eq!(
            state.shared.status[d.a.ix()].start(generation),
            Transition::Done
        );
        let runner = {
            let (d, state) = (d.clone(), state.clone());
            thread::spawn(move || {
                let mut scratch = Scratch::for_plan(&d.plan);
                complete_neg(&d.plan, &state.shared, &mut scratch, generation, d.a);
                scratch.ready.len()
            })
        };
        let canceller = {
            let (d, state) = (d.clone(), state.clone());
            thread::spawn(move || state.shared.status[d.a.ix()].cancel(generation))
        };
        let made_ready = runner.join().unwrap();
        let cancelled = canceller.join().unwrap();
        let phase = state.shared.status[d.a.ix()].load().phase();
        let pending_c = state.shared.pending[d.c.ix()].load(Ordering::Acquire);
        match cancelled {
            // Cancel won: the runner's finish was refused, so it published
            // nothing.
            Transition::Done => {
                assert_eq!(phase, Phase::Cancelled);
                assert_eq!(pending_c, 2, "a cancelled node publishes nothing");
            }
            Transition::Refused(snap) => {
                assert_eq!(snap.phase(), Phase::Completed);
                assert_eq!(phase, Phase::Completed);
                assert_eq!(pending_c, 1, "the completed node published once");
            }
            Transition::Stale => panic!("same generation"),
        }
        assert_eq!(made_ready, 0, "C still waits for B");
    });
}

#[test]
fn reset_then_reuse_is_clean_and_correct() {
    loom::model(|| {
        let d = Arc::new(diamond());
        let mut state = Arc::new(start(&d));
        let generation = state.generation();
        let worker = {
            let (d, state) = (d.clone(), state.clone());
            thread::spawn(move || {
                let mut scratch = Scratch::for_plan(&d.plan);
                run_neg(&d.plan, &state.shared, &mut scratch, generation, d.a);
                run_join_if_ready(&d, &state.shared, &mut scratch, generation)
            })
        };
        let mut scratch = Scratch::for_plan(&d.plan);
        run_neg(&d.plan, &state.shared, &mut scratch, generation, d.b);
        let here = run_join_if_ready(&d, &state.shared, &mut scratch, generation);
        let there = worker.join().unwrap();
        assert!(here ^ there);

        // The worker is gone, so the state is exclusively ours again (S10).
        let exclusive = Arc::get_mut(&mut state).expect("no other holder");
        exclusive.reset(&d.plan);
        assert!(
            exclusive.is_clean(&d.plan),
            "a reset state equals a new one (S9)"
        );
        let next = exclusive.generation();
        assert_ne!(next, generation);
        exclusive.shared.slots[d.x.ix()]
            .set(CValue::Int(1))
            .expect("empty after reset");
        for &n in d.plan.slot_consumers(d.x) {
            exclusive.shared.pending[n.ix()].fetch_sub(1, Ordering::AcqRel);
        }
        let shared = &exclusive.shared;
        let mut scratch = Scratch::for_plan(&d.plan);
        run_neg(&d.plan, shared, &mut scratch, next, d.a);
        run_neg(&d.plan, shared, &mut scratch, next, d.b);
        assert!(run_join_if_ready(&d, shared, &mut scratch, next));
        let out = d.plan.node_outputs(d.c)[0];
        assert_eq!(
            shared.slots[out.ix()].get(),
            Some(&CValue::Int(-2)),
            "only the new execution's value"
        );
    });
}

#[test]
fn a_straggler_of_an_old_generation_changes_nothing() {
    loom::model(|| {
        let d = Arc::new(diamond());
        let mut state = start(&d);
        let old = state.generation();
        state.reset(&d.plan);
        let state = Arc::new(state);
        let current = state.generation();
        let straggler = {
            let (d, state) = (d.clone(), state.clone());
            thread::spawn(move || {
                let cell = &state.shared.status[d.a.ix()];
                [
                    cell.start(old),
                    cell.finish(old, Phase::Completed),
                    cell.skip(old, d.b),
                    cell.cancel(old),
                ]
            })
        };
        let cell = &state.shared.status[d.a.ix()];
        assert_eq!(cell.start(current), Transition::Done);
        assert_eq!(cell.finish(current, Phase::Completed), Transition::Done);
        for t in straggler.join().unwrap() {
            assert_eq!(
                t,
                Transition::Stale,
                "an old generation never moves a cell (S4)"
            );
        }
        let snap = cell.load();
        assert_eq!(
            (snap.phase(), snap.generation()),
            (Phase::Completed, current)
        );
    });
}

#[test]
fn a_straggler_holding_the_state_prevents_its_reuse() {
    loom::model(|| {
        let d = Arc::new(diamond());
        let mut state = Arc::new(start(&d));
        let generation = state.generation();
        let straggler = {
            let (d, state) = (d.clone(), state.clone());
            thread::spawn(move || {
                // A late writer of this execution (e.g. a module finishing
                // after its execution was abandoned).
                let mut scratch = Scratch::for_plan(&d.plan);
                run_neg(&d.plan, &state.shared, &mut scratch, generation, d.a);
            })
        };
        // The pool's rule: reuse only with exclusive access, else drop.
        match Arc::get_mut(&mut state) {
            Some(exclusive) => {
                exclusive.reset(&d.plan);
                assert!(
                    exclusive.is_clean(&d.plan),
                    "the straggler finished before the reset"
                );
            }
            None => { /* still shared: the pool drops it instead of reusing it */ }
        }
        straggler.join().unwrap();
    });
}
