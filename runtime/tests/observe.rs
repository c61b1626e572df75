//! The observer hook: what an observer hears of each execution (start,
//! every module's end with status, latency and failure, the end with
//! outcome and total), on every entry point and both executors; and the
//! latency sampling's default as an observer sees it.
//!
//! With `--features metrics`, the same file checks the metrics a recorder
//! gets (`metrics-util`'s debugging recorder); `observe_tracing.rs` checks
//! what a `tracing` subscriber receives.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use asterism_compiler::{CType, CValue, DagBuilder, DagSpec, ModuleIx};
use asterism_runtime::{
    Abort, CancellationToken, ExecutionFinished, ExecutionStarted, FailureKind, Module,
    ModuleFinished, Observer, Outcome, Phase, Program, Registry, RunOptions, RuntimeConfig,
};
use uuid::Uuid;

/// What an observer heard, as owned data.
#[derive(Clone, Debug, PartialEq)]
enum Heard {
    Started {
        execution: u64,
    },
    Module {
        execution: u64,
        name: String,
        uuid: Uuid,
        phase: Phase,
        latency: bool,
        failure: Option<(FailureKind, String)>,
        skipped_because: Option<Uuid>,
    },
    Finished {
        execution: u64,
        outcome: Outcome,
        sampled: bool,
        total_matches_result: bool,
        has_result: bool,
    },
}

#[derive(Default)]
struct Recording(Mutex<Vec<Heard>>);

impl Recording {
    fn take(&self) -> Vec<Heard> {
        std::mem::take(&mut self.0.lock().unwrap())
    }
}

impl Observer for Recording {
    fn execution_started(&self, s: &ExecutionStarted<'_>) {
        assert_eq!(s.pipeline, "observed");
        self.0.lock().unwrap().push(Heard::Started {
            execution: s.execution,
        });
    }

    fn module_finished(&self, m: &ModuleFinished<'_>) {
        assert_eq!(m.pipeline, "observed");
        self.0.lock().unwrap().push(Heard::Module {
            execution: m.execution,
            name: m.name.to_owned(),
            uuid: m.uuid,
            phase: m.phase,
            latency: m.latency.is_some(),
            failure: m.failure.map(|f| (f.kind, f.message.clone())),
            skipped_because: m.skipped_because,
        });
    }

    fn execution_finished(&self, f: &ExecutionFinished<'_>) {
        assert_eq!(f.pipeline, "observed");
        self.0.lock().unwrap().push(Heard::Finished {
            execution: f.execution,
            outcome: f.outcome,
            sampled: f.sampled,
            total_matches_result: f.result.is_none_or(|r| r.total_latency() == f.total),
            has_result: f.result.is_some(),
        });
    }
}

/// `q = x / y` (fails when y is 0), then `s = q + x` (skipped then), and
/// an independent `d = x - y`.
fn spec() -> (DagSpec, [Uuid; 3]) {
    let mut b = DagBuilder::seeded("observed", 17);
    let x = b.input("x", CType::Int);
    let y = b.input("y", CType::Int);
    let div = b.module("stdlib.divide");
    b.bind(x, div, "a");
    b.bind(y, div, "b");
    let q = b.produce(div, "out", "q", CType::Int);
    let add = b.module("stdlib.add");
    b.bind(q, add, "a");
    b.bind(x, add, "b");
    let s = b.produce(add, "out", "s", CType::Int);
    let sub = b.module("stdlib.subtract");
    b.bind(x, sub, "a");
    b.bind(y, sub, "b");
    let d = b.produce(sub, "out", "d", CType::Int);
    b.output("s", s);
    b.output("d", d);
    let uuids = [div, add, sub].map(|m| b.module_uuid(m).unwrap());
    (b.build(), uuids)
}

fn observed(config: &RuntimeConfig) -> (Program, Arc<Recording>, [Uuid; 3]) {
    let recording = Arc::new(Recording::default());
    let (spec, uuids) = spec();
    let program =
        Program::load_with(&spec, &Registry::with_stdlib(), config, recording.clone()).unwrap();
    (program, recording, uuids)
}

fn inputs(program: &Program, x: i64, y: i64) -> Vec<(asterism_compiler::InputIx, CValue)> {
    vec![
        (program.input("x").unwrap(), CValue::Int(x)),
        (program.input("y").unwrap(), CValue::Int(y)),
    ]
}

/// The module events of one heard execution, by the module's UUID.
fn module(heard: &[Heard], uuid: Uuid) -> &Heard {
    heard
        .iter()
        .find(|h| matches!(h, Heard::Module { uuid: u, .. } if *u == uuid))
        .unwrap_or_else(|| panic!("no event for module {uuid}: {heard:?}"))
}

fn phase_of(h: &Heard) -> Phase {
    match h {
        Heard::Module { phase, .. } => *phase,
        other => panic!("not a module event: {other:?}"),
    }
}

#[test]
fn an_observer_hears_start_every_module_and_the_end_in_order() {
    let (program, heard, [div, add, sub]) =
        observed(&RuntimeConfig::default().with_latency_every_execution());
    let r = program.run_sync(inputs(&program, 12, 0)).unwrap();
    assert!(!r.is_success());
    let total = r.total_latency();
    drop(r);
    let got = heard.take();
    assert_eq!(got.len(), 5, "start, three modules, end: {got:?}");
    let Heard::Started { execution } = got[0] else {
        panic!("first the start: {got:?}");
    };
    assert!(matches!(
        got[4],
        Heard::Finished {
            outcome: Outcome::Failed,
            sampled: true,
            total_matches_result: true,
            has_result: true,
            ..
        }
    ));
    assert!(got.iter().all(|h| match h {
        Heard::Started { execution: e }
        | Heard::Module { execution: e, .. }
        | Heard::Finished { execution: e, .. } => *e == execution,
    }));
    match module(&got, div) {
        Heard::Module {
            phase: Phase::Failed,
            latency: true,
            failure: Some((FailureKind::Error, message)),
            skipped_because: None,
            ..
        } => assert!(message.contains("zero"), "{message}"),
        other => panic!("divide fails: {other:?}"),
    }
    assert_eq!(
        module(&got, add),
        &Heard::Module {
            execution,
            name: "stdlib.add".to_owned(),
            uuid: add,
            phase: Phase::Skipped,
            latency: false,
            failure: None,
            skipped_because: Some(div),
        }
    );
    assert!(matches!(
        module(&got, sub),
        Heard::Module {
            phase: Phase::Completed,
            latency: true,
            failure: None,
            ..
        }
    ));
    assert!(total > Duration::ZERO);
}

#[test]
fn by_default_the_first_execution_on_a_thread_is_sampled_and_the_next_63_are_not() {
    let (program, heard, [div, _, _]) = observed(&RuntimeConfig::default());
    for i in 0..65 {
        let r = program.run_sync(inputs(&program, 12, 3)).unwrap();
        assert!(r.is_success());
        // Sampled: the first, then the 65th (one in 64, on this thread).
        let drawn = i == 0 || i == 64;
        assert_eq!(r.recorded_latency(), drawn, "execution {i}");
        assert_eq!(
            r.module_latency(ModuleIx(0)).is_some(),
            drawn,
            "execution {i}"
        );
        drop(r);
        let got = heard.take();
        assert_eq!(phase_of(module(&got, div)), Phase::Completed);
        let Heard::Module { latency, .. } = module(&got, div) else {
            unreachable!()
        };
        assert_eq!(*latency, drawn, "execution {i}: {got:?}");
        assert!(
            matches!(got.last(), Some(Heard::Finished { outcome: Outcome::Succeeded, sampled, .. }) if *sampled == drawn),
            "execution {i}: {got:?}"
        );
    }
}

#[test]
fn one_execution_can_ask_for_its_module_latencies() {
    let (program, heard, _) = observed(&RuntimeConfig::default());
    program.run_sync(inputs(&program, 1, 1)).unwrap();
    let plain = program.run_sync(inputs(&program, 1, 1)).unwrap();
    assert!(!plain.recorded_latency(), "the second is not drawn");
    drop(plain);
    let asked = RunOptions {
        record_latency: true,
        ..RunOptions::default()
    };
    let r = program
        .run_sync_with(inputs(&program, 1, 1), &asked)
        .unwrap();
    assert!(r.recorded_latency());
    for m in 0..3 {
        assert!(r.module_latency(ModuleIx(m)).is_some(), "module {m}");
    }
    drop(r);
    // The same through `run`, on a runtime.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let r = program
            .run_with(inputs(&program, 1, 1), &asked)
            .await
            .unwrap();
        assert!(r.recorded_latency());
        assert!(r.module_latency(ModuleIx(2)).is_some());
        let r2 = program.run(inputs(&program, 1, 1)).await.unwrap();
        assert!(!r2.recorded_latency());
    });
    let got = heard.take();
    let sampled: Vec<bool> = got
        .iter()
        .filter_map(|h| match h {
            Heard::Finished { sampled, .. } => Some(*sampled),
            _ => None,
        })
        .collect();
    assert_eq!(sampled, [true, false, true, true, false]);
}

#[test]
fn refused_inputs_are_heard_as_rejected_with_no_modules() {
    let (program, heard, _) = observed(&RuntimeConfig::default());
    let x = program.input("x").unwrap();
    assert!(program.run_sync([(x, CValue::Int(1))]).is_err());
    let got = heard.take();
    assert_eq!(got.len(), 2, "{got:?}");
    assert!(matches!(got[0], Heard::Started { .. }));
    assert!(matches!(
        got[1],
        Heard::Finished {
            outcome: Outcome::Rejected,
            sampled: false,
            has_result: false,
            ..
        }
    ));
}

#[test]
fn executions_are_numbered_uniquely_and_increasing_on_a_thread() {
    let (program, heard, _) = observed(&RuntimeConfig::default());
    for _ in 0..5 {
        program.run_sync(inputs(&program, 4, 2)).unwrap();
    }
    let here: Vec<u64> = heard
        .take()
        .iter()
        .filter_map(|h| match h {
            Heard::Started { execution } => Some(*execution),
            _ => None,
        })
        .collect();
    assert_eq!(here.len(), 5);
    assert!(here.windows(2).all(|w| w[0] < w[1]), "{here:?}");
    let other = {
        let program = program.clone();
        std::thread::spawn(move || {
            program.run_sync(inputs(&program, 4, 2)).unwrap();
        })
    };
    other.join().unwrap();
    let there: Vec<u64> = heard
        .take()
        .iter()
        .filter_map(|h| match h {
            Heard::Started { execution } => Some(*execution),
            _ => None,
        })
        .collect();
    assert_eq!(there.len(), 1);
    assert!(!here.contains(&there[0]), "{here:?} and {there:?}");
}

#[test]
fn the_reference_executor_is_observed_the_same_way() {
    let (slots, heard_slots, _) =
        observed(&RuntimeConfig::default().with_latency_every_execution());
    let (reference, heard_ref, _) = observed(
        &RuntimeConfig::default()
            .with_latency_every_execution()
            .reference(),
    );
    for (x, y) in [(12, 0), (12, 3)] {
        slots.run_sync(inputs(&slots, x, y)).unwrap();
        reference.run_sync(inputs(&reference, x, y)).unwrap();
    }
    let strip = |heard: Vec<Heard>| -> Vec<(Option<Phase>, Option<Outcome>)> {
        heard
            .into_iter()
            .map(|h| match h {
                Heard::Started { .. } => (None, None),
                Heard::Module { phase, .. } => (Some(phase), None),
                Heard::Finished { outcome, .. } => (None, Some(outcome)),
            })
            .collect()
    };
    let a = strip(heard_slots.take());
    assert_eq!(a.len(), 10);
    assert_eq!(a, strip(heard_ref.take()));
}

#[test]
fn async_runs_are_heard_after_their_pending_modules_end() {
    let mut registry = Registry::with_stdlib();
    registry.register(Module::asynchronous(
        "t.later",
        ["v"],
        "out",
        |v: i64| async move {
            tokio::task::yield_now().await;
            v * 2
        },
    ));
    let mut b = DagBuilder::seeded("observed", 5);
    let x = b.input("x", CType::Int);
    let m = b.module("t.later");
    b.bind(x, m, "v");
    let out = b.produce(m, "out", "out", CType::Int);
    b.output("out", out);
    let heard = Arc::new(Recording::default());
    let program = Program::load_with(
        &b.build(),
        &registry,
        &RuntimeConfig::default(),
        heard.clone(),
    )
    .unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let x = program.input("x").unwrap();
    rt.block_on(async {
        let r = program.run([(x, CValue::Int(21))]).await.unwrap();
        assert_eq!(r.output_named("out"), Some(&CValue::Int(42)));
    });
    let got = heard.take();
    assert_eq!(got.len(), 3, "{got:?}");
    assert!(matches!(
        got[1],
        Heard::Module {
            phase: Phase::Completed,
            latency: true,
            ..
        }
    ));
    // A cancelled run: the module is cancelled, the outcome says so.
    let token = CancellationToken::new();
    token.cancel();
    rt.block_on(async {
        let r = program
            .run_with([(x, CValue::Int(1))], &RunOptions::with_cancel(token))
            .await
            .unwrap();
        assert!(r.is_cancelled());
    });
    let got = heard.take();
    assert!(
        matches!(
            got.last(),
            Some(Heard::Finished {
                outcome: Outcome::Aborted(Abort::Cancelled),
                ..
            })
        ),
        "{got:?}"
    );
}

#[test]
fn outcome_labels_follow_the_metric_conventions() {
    assert_eq!(Outcome::Succeeded.as_str(), "succeeded");
    assert_eq!(Outcome::Failed.as_str(), "failed");
    assert_eq!(Outcome::Aborted(Abort::Cancelled).as_str(), "cancelled");
    assert_eq!(
        Outcome::Aborted(Abort::DeadlineExceeded).as_str(),
        "deadline_exceeded"
    );
    assert_eq!(Outcome::Rejected.as_str(), "rejected");
}

#[cfg(feature = "metrics")]
mod metrics_feature {
    use super::*;
    use metrics_util::debugging::{DebugValue, DebuggingRecorder};
    use metrics_util::MetricKind;

    #[test]
    fn a_recorder_gets_executions_failures_skips_and_sampled_latencies() {
        let recorder = DebuggingRecorder::new();
        let snapshotter = recorder.snapshotter();
        let (spec, _) = spec();
        // Handles are registered at bind, with the recorder in place then.
        let program = metrics::with_local_recorder(&recorder, || {
            Program::load(&spec, &Registry::with_stdlib(), &RuntimeConfig::default()).unwrap()
        });
        for i in 0..70 {
            let y = if i % 10 == 0 { 0 } else { 2 };
            program.run_sync(inputs(&program, 8, y)).unwrap();
        }
        let x = program.input("x").unwrap();
        assert!(program.run_sync([(x, CValue::Int(1))]).is_err());
        let snapshot = snapshotter.snapshot().into_vec();
        let find = |kind: MetricKind, name: &str, labels: &[(&str, &str)]| {
            snapshot
                .iter()
                .find(|(key, _, _, _)| {
                    key.kind() == kind
                        && key.key().name() == name
                        && labels.iter().all(|(k, v)| {
                            key.key().labels().any(|l| l.key() == *k && l.value() == *v)
                        })
                })
                .map(|(_, _, _, value)| value)
                .unwrap_or_else(|| panic!("no {name} {labels:?} in {snapshot:?}"))
        };
        let counter =
            |name: &str, labels: &[(&str, &str)]| match find(MetricKind::Counter, name, labels) {
                DebugValue::Counter(n) => *n,
                other => panic!("{other:?}"),
            };
        let by = |outcome| [("pipeline", "observed"), ("outcome", outcome)];
        assert_eq!(counter("asterism_executions_total", &by("succeeded")), 63);
        assert_eq!(counter("asterism_executions_total", &by("failed")), 7);
        assert_eq!(counter("asterism_executions_total", &by("rejected")), 1);
        // Unnamed module nodes are named after their module.
        let (div, add, sub) = ("stdlib.divide", "stdlib.add", "stdlib.subtract");
        let l_div = [("pipeline", "observed"), ("module", div)];
        let l_add = [("pipeline", "observed"), ("module", add)];
        let l_sub = [("pipeline", "observed"), ("module", sub)];
        assert_eq!(counter("asterism_module_failures_total", &l_div), 7);
        assert_eq!(counter("asterism_module_skips_total", &l_add), 7);
        assert_eq!(counter("asterism_module_failures_total", &l_sub), 0);
        match find(
            MetricKind::Histogram,
            "asterism_execution_duration_seconds",
            &[("pipeline", "observed")],
        ) {
            DebugValue::Histogram(v) => assert_eq!(v.len(), 70),
            other => panic!("{other:?}"),
        }
        // Module latencies from the sampled executions only: runs 0 and
        // 64 on this thread (the divide ran, and failed, in both).
        match find(
            MetricKind::Histogram,
            "asterism_module_duration_seconds",
            &l_sub,
        ) {
            DebugValue::Histogram(v) => assert_eq!(v.len(), 2),
            other => panic!("{other:?}"),
        }
        match find(
            MetricKind::Gauge,
            "asterism_pool_in_use_states",
            &[("pipeline", "observed")],
        ) {
            // Set while the sampled execution held its state.
            DebugValue::Gauge(v) => assert_eq!(v.into_inner(), 1.0),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            find(
                MetricKind::Gauge,
                "asterism_pool_idle_states",
                &[("pipeline", "observed")]
            ),
            DebugValue::Gauge(_)
        ));
    }
}
