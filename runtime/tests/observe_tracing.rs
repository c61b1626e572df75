//! What a `tracing` subscriber receives (feature `tracing`): the span per
//! execution and the event per module, with their fields.
//!
//! One test function: tracing caches each callsite's interest globally,
//! so tests that run executions on other threads with no subscriber
//! while one thread has a scoped subscriber can race on that cache. Run
//! alone, this binary has no such threads.
#![cfg(feature = "tracing")]

use std::sync::{Arc, Mutex};

use asterism_compiler::{CType, CValue, DagBuilder, DagSpec, InputIx};
use asterism_runtime::{Program, Registry, RuntimeConfig};
use uuid::Uuid;

/// `q = x / y` (fails when y is 0), then `s = q + x` (skipped then), and
/// an independent `d = x - y` (as in `observe.rs`).
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

fn inputs(program: &Program, x: i64, y: i64) -> Vec<(InputIx, CValue)> {
    vec![
        (program.input("x").unwrap(), CValue::Int(x)),
        (program.input("y").unwrap(), CValue::Int(y)),
    ]
}

#[test]
fn a_subscriber_sees_spans_and_events_with_their_fields() {
    a_subscriber_sees_the_execution_span_and_each_modules_event();
    at_info_only_the_execution_span_is_seen_and_unsampled_runs_carry_no_module_latency();
}

use std::io::Write;

/// A writer into a shared buffer, for the fmt subscriber.
#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn traced(level: tracing::Level, f: impl FnOnce()) -> String {
    let buffer = Buffer::default();
    let writer = buffer.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(level)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
        .finish();
    tracing::subscriber::with_default(subscriber, f);
    let bytes = buffer.0.lock().unwrap().clone();
    String::from_utf8(bytes).unwrap()
}

fn a_subscriber_sees_the_execution_span_and_each_modules_event() {
    let (spec, [div, add, _]) = spec();
    let program = Program::load(
        &spec,
        &Registry::with_stdlib(),
        &RuntimeConfig::default().with_latency_every_execution(),
    )
    .unwrap();
    let out = traced(tracing::Level::DEBUG, || {
        program.run_sync(inputs(&program, 12, 0)).unwrap();
    });
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines.len(),
        4,
        "three module events and the span's close: {out}"
    );
    for l in &lines {
        assert!(
            l.contains("execution{pipeline=\"observed\" execution="),
            "{l}"
        );
        assert!(l.contains("outcome=\"failed\""), "{l}");
        assert!(l.contains("sampled=true"), "{l}");
    }
    let of = |uuid: Uuid| {
        lines
            .iter()
            .find(|l| l.contains(&format!("node={uuid}")))
            .unwrap_or_else(|| panic!("no event for {uuid}: {out}"))
    };
    let failed = of(div);
    assert!(failed.contains("DEBUG"), "{failed}");
    assert!(failed.contains("module finished"), "{failed}");
    assert!(failed.contains("status=\"failed\""), "{failed}");
    assert!(failed.contains(" latency_ns="), "{failed}");
    assert!(failed.contains("error=\""), "{failed}");
    let skipped = of(add);
    assert!(skipped.contains("status=\"skipped\""), "{skipped}");
    assert!(skipped.contains(&format!("upstream={div}")), "{skipped}");
    assert!(!skipped.contains(" latency_ns="), "{skipped}");
    assert!(lines[3].contains("close"), "{}", lines[3]);
    assert!(lines[3].contains("total_latency_ns="), "{}", lines[3]);
}

fn at_info_only_the_execution_span_is_seen_and_unsampled_runs_carry_no_module_latency() {
    let (spec, _) = spec();
    let program =
        Program::load(&spec, &Registry::with_stdlib(), &RuntimeConfig::default()).unwrap();
    let info = traced(tracing::Level::INFO, || {
        program.run_sync(inputs(&program, 12, 3)).unwrap();
    });
    assert_eq!(info.lines().count(), 1, "{info}");
    assert!(info.contains("outcome=\"succeeded\""), "{info}");
    // The second execution on this thread is not sampled.
    let debug = traced(tracing::Level::DEBUG, || {
        program.run_sync(inputs(&program, 12, 3)).unwrap();
    });
    assert_eq!(debug.lines().count(), 4, "{debug}");
    assert!(!debug.contains(" latency_ns="), "{debug}");
    assert!(debug.contains("sampled=false"), "{debug}");
}
