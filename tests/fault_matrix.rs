//! The fault matrix: fault kind x caller behaviour x position, under tokio's
//! paused clock so every timeout and deadline is deterministic.
//!
//! The pipeline is `x -> p0 -> p1 -> p2 -> out` plus an independent branch
//! `x -> side -> other`. One of p0 (source), p1 (middle), p2 (sink) carries
//! the fault, triggered only by the input value 1. After each case:
//!
//! - the result (when the caller kept one) names the right cause on the
//!   right node, and its dependants are skipped naming it;
//! - no node is left `Waiting` or `Running`;
//! - the pool of one state got its state back (clean) or counted a drop;
//! - the next execution on the same program (input 2, no fault) is correct.

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll};
use std::time::Duration;

use asterism::runtime::{FailureKind, NodeStatus};
use asterism::{
    CType, CValue, CancellationToken, DagBuilder, ExecutionResult, Module, NodeIx, Phase, Program,
    Registry, RunOptions, RuntimeConfig,
};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fault {
    Error,
    Panic,
    /// Sleeps far past its 10 ms timeout.
    Hang,
    /// Takes 5 ms of its 10 ms timeout.
    Slow,
    /// Hangs past its timeout, then panics while its future is dropped.
    PanicInDrop,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Caller {
    Await,
    DropAfterFirstPoll,
    /// A whole-execution deadline of 2.5 ms.
    Deadline,
    /// A token cancelled at 2.5 ms.
    Cancel,
}

struct PanicOnDrop;
impl Drop for PanicOnDrop {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            panic!("injected panic while dropped");
        }
    }
}

/// An async identity module taking 1 ms, faulty on input 1 when `fault` is set.
fn stage(name: &str, fault: Option<Fault>) -> Module {
    Module::asynchronous(name, ["v"], "out", move |v: i64| {
        let armed = if v == 1 { fault } else { None };
        // Built only when armed: a `PanicOnDrop` panics whenever it drops.
        let guard = if armed == Some(Fault::PanicInDrop) {
            Some(PanicOnDrop)
        } else {
            None
        };
        async move {
            let _guard = guard;
            match armed {
                None => tokio::time::sleep(Duration::from_millis(1)).await,
                Some(Fault::Error) => return Err(format!("injected error on {v}")),
                Some(Fault::Panic) => panic!("injected panic on {v}"),
                Some(Fault::Hang | Fault::PanicInDrop) => {
                    tokio::time::sleep(Duration::from_secs(3600)).await
                }
                Some(Fault::Slow) => tokio::time::sleep(Duration::from_millis(5)).await,
            }
            Ok(v)
        }
    })
}

fn program(position: usize, fault: Fault) -> Program {
    let mut reg = Registry::with_stdlib();
    for p in 0..3 {
        reg.register(stage(&format!("p{p}"), (p == position).then_some(fault)));
    }
    let mut b = DagBuilder::seeded("faults", 77);
    let x = b.input("x", CType::Int);
    let mut prev = x;
    for p in 0..3 {
        let m = b.module(format!("p{p}"));
        b.timeout_ms(m, 10);
        b.bind(prev, m, "v");
        prev = b.produce(m, "out", format!("v{p}"), CType::Int);
    }
    b.output("out", prev);
    let side = b.module("stdlib.negate");
    b.bind(x, side, "value");
    let other = b.produce(side, "out", "other", CType::Int);
    b.output("other", other);
    Program::load(
        &b.build(),
        &reg,
        &RuntimeConfig::default().with_pool_size(1),
    )
    .expect("the pipeline loads")
}

fn node(r: &ExecutionResult<'_>, name: &str) -> NodeIx {
    (0..r.plan().node_count() as u32)
        .map(NodeIx)
        .find(|n| r.plan().node_name(*n) == name)
        .expect("a node of the pipeline")
}

fn assert_all_terminal(r: &ExecutionResult<'_>, case: &str) {
    for n in (0..r.plan().node_count() as u32).map(NodeIx) {
        let phase = r.phase(n);
        assert!(
            phase.is_terminal(),
            "{case}: node {} left {phase:?}",
            r.plan().node_name(n)
        );
    }
}

/// What an awaited run must report for a fault at `position`.
fn check_awaited(r: &ExecutionResult<'_>, position: usize, fault: Fault, case: &str) {
    assert_all_terminal(r, case);
    assert_eq!(
        r.output_named("other"),
        Some(&CValue::Int(-1)),
        "{case}: the independent branch finishes"
    );
    let faulty = node(r, &format!("p{position}"));
    let expected_kind = match fault {
        Fault::Slow => {
            assert!(
                r.is_success(),
                "{case}: a slow module within its timeout succeeds: {:?}",
                r.problems()
            );
            assert_eq!(r.output_named("out"), Some(&CValue::Int(1)), "{case}");
            return;
        }
        Fault::Error => FailureKind::Error,
        Fault::Panic => FailureKind::Panic,
        Fault::Hang | Fault::PanicInDrop => FailureKind::Timeout,
    };
    match r.status(faulty) {
        NodeStatus::Failed(f) | NodeStatus::TimedOut(f) => {
            assert_eq!(f.kind, expected_kind, "{case}: {f}");
            if expected_kind != FailureKind::Timeout {
                assert!(f.message.contains("injected"), "{case}: {f}");
            }
        }
        other => panic!("{case}: the faulty node is {other:?}"),
    }
    for p in position + 1..3 {
        assert_eq!(
            r.status(node(r, &format!("p{p}"))),
            NodeStatus::Skipped { upstream: faulty },
            "{case}: p{p} is skipped naming the faulty node"
        );
    }
    assert_eq!(r.output_named("out"), None, "{case}");
}

async fn next_run_is_correct(program: &Program, case: &str) {
    let x = program.input("x").expect("x");
    let r = program
        .run([(x, CValue::Int(2))])
        .await
        .expect("valid inputs");
    assert!(
        r.is_success(),
        "{case}: the next execution failed: {:?}",
        r.problems()
    );
    assert_eq!(r.output_named("out"), Some(&CValue::Int(2)), "{case}");
    assert_eq!(r.output_named("other"), Some(&CValue::Int(-2)), "{case}");
}

async fn run_case(position: usize, fault: Fault, caller: Caller) {
    let case = format!("{fault:?} at p{position}, caller {caller:?}");
    let program = program(position, fault);
    let x = program.input("x").expect("x");
    match caller {
        Caller::Await => {
            let r = program
                .run([(x, CValue::Int(1))])
                .await
                .expect("valid inputs");
            check_awaited(&r, position, fault, &case);
        }
        Caller::DropAfterFirstPoll => {
            {
                let mut fut = pin!(program.run([(x, CValue::Int(1))]));
                let mut cx = Context::from_waker(std::task::Waker::noop());
                // A fault at the source ends the run within the first poll;
                // otherwise the run is pending and is dropped mid-flight.
                if let Poll::Ready(r) = fut.as_mut().poll(&mut cx) {
                    let r = r.expect("valid inputs");
                    check_awaited(&r, position, fault, &case);
                }
            }
            assert_eq!(
                program.pool().idle(),
                1,
                "{case}: the dropped execution's state is back"
            );
        }
        Caller::Deadline | Caller::Cancel => {
            let options = if caller == Caller::Deadline {
                RunOptions::with_timeout(Duration::from_micros(2_500))
            } else {
                let token = CancellationToken::new();
                let t = token.clone();
                tokio::spawn(async move {
                    tokio::time::sleep(Duration::from_micros(2_500)).await;
                    t.cancel();
                });
                RunOptions::with_cancel(token)
            };
            let r = program
                .run_with([(x, CValue::Int(1))], &options)
                .await
                .expect("valid inputs");
            assert_all_terminal(&r, &case);
            // The fault either ended the chain before 2.5 ms (error, panic at
            // p0 or p1 after 1-2 ms of healthy stages) or the run was cut.
            let cut = if caller == Caller::Deadline {
                r.deadline_exceeded()
            } else {
                r.is_cancelled()
            };
            let early_fault = matches!(fault, Fault::Error | Fault::Panic) && position <= 2;
            assert!(
                cut || early_fault,
                "{case}: neither cut nor failed early: {:?}",
                r.problems()
            );
            if cut {
                let cancelled = (0..3)
                    .filter(|p| r.phase(node(&r, &format!("p{p}"))) == Phase::Cancelled)
                    .count();
                assert!(cancelled >= 1, "{case}: something was cancelled");
            } else {
                check_awaited(&r, position, fault, &case);
            }
        }
    }
    let stats = program.metrics().pool;
    assert_eq!(stats.drops, 0, "{case}: nothing forced a drop");
    assert_eq!(
        program.pool().idle(),
        1,
        "{case}: the state is back in the pool"
    );
    next_run_is_correct(&program, &case).await;
}

#[tokio::test(start_paused = true)]
async fn every_fault_caller_and_position() {
    let faults = [
        Fault::Error,
        Fault::Panic,
        Fault::Hang,
        Fault::Slow,
        Fault::PanicInDrop,
    ];
    let callers = [
        Caller::Await,
        Caller::DropAfterFirstPoll,
        Caller::Deadline,
        Caller::Cancel,
    ];
    let mut cases = 0;
    for fault in faults {
        for caller in callers {
            for position in 0..3 {
                run_case(position, fault, caller).await;
                cases += 1;
            }
        }
    }
    assert_eq!(cases, 60);
}
