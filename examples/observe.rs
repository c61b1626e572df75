//! A service loop, observed: a pipeline run many times with a `tracing`
//! subscriber (the `fmt` layer) and a Prometheus recorder installed, then
//! the per-module latency percentiles read back from the histograms.
//!
//! `cargo run --release --example observe --features tracing,metrics`
//!
//! What it shows:
//! - install the metrics recorder **before** loading programs: a program
//!   registers its handles when it is bound;
//! - one execution traced at DEBUG: its `execution` span and one
//!   `module finished` event per module;
//! - the loop at the service's usual INFO level, which prints nothing per
//!   execution (spans are closed silently) and costs next to nothing;
//! - module latencies are sampled (one execution in 64 per thread by
//!   default), so the module histograms hold about 1/64 of the runs, while
//!   the execution histogram and the counters see every run.

use std::time::Instant;

use asterism::{CType, CValue, DagBuilder, Program, Registry, RuntimeConfig};
use metrics_exporter_prometheus::PrometheusBuilder;
use tracing_subscriber::fmt::format::FmtSpan;

/// `ratio = (a * b) / c`, `spread = max(a, b) - min(a, b)`, `out = ratio +
/// spread`: `c = 0` (one run in 250 here) fails the divide and skips `out`.
fn pipeline() -> asterism::DagSpec {
    let mut b = DagBuilder::new("pricing");
    let a = b.input("a", CType::Int);
    let bb = b.input("b", CType::Int);
    let c = b.input("c", CType::Int);
    let module = |b: &mut DagBuilder, name: &str, x, y, out: &str| {
        let m = b.module(name);
        b.bind(x, m, "a");
        b.bind(y, m, "b");
        b.produce(m, "out", out, CType::Int)
    };
    let product = module(&mut b, "stdlib.multiply", a, bb, "product");
    let ratio = module(&mut b, "stdlib.divide", product, c, "ratio");
    let hi = module(&mut b, "stdlib.max", a, bb, "hi");
    let lo = module(&mut b, "stdlib.min", a, bb, "lo");
    let spread = module(&mut b, "stdlib.subtract", hi, lo, "spread");
    let out = module(&mut b, "stdlib.add", ratio, spread, "out");
    b.output("out", out);
    b.output("spread", spread);
    b.build()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // The recorder first: handles are registered when a program is bound.
    let prometheus = PrometheusBuilder::new().install_recorder()?;
    let program = Program::load(
        &pipeline(),
        &Registry::with_stdlib(),
        &RuntimeConfig::default(),
    )?;
    let [a, b, c] = ["a", "b", "c"].map(|n| program.input(n).expect("declared input"));
    let inputs = |i: i64| {
        [
            (a, CValue::Int(i % 97)),
            (b, CValue::Int(i % 89 + 1)),
            (c, CValue::Int(i % 250)),
        ]
    };

    // One execution traced in full, as a debug session would: the span,
    // and an event per module (the first run on a thread is sampled, so
    // each event has its latency). `c = 0`: the divide fails.
    println!("== one execution at DEBUG ==");
    let debug = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_span_events(FmtSpan::CLOSE)
        .finish();
    tracing::subscriber::with_default(debug, || {
        let r = program.run_sync(inputs(0)).expect("inputs are valid");
        assert!(!r.is_success(), "c = 0 fails the divide");
    });

    // The service loop, at INFO: no output per execution.
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::INFO)
        .init();
    let runs = 200_000;
    let started = Instant::now();
    let mut failed = 0;
    for i in 1..=runs {
        let r = program.run_sync(inputs(i)).expect("inputs are valid");
        failed += usize::from(!r.is_success());
    }
    let elapsed = started.elapsed();
    println!(
        "\n== {runs} executions in {elapsed:.2?} ({:.0} ns each), {failed} failed ==",
        elapsed.as_nanos() as f64 / runs as f64
    );

    // The Prometheus exposition, and the module latency percentiles read
    // from it (the exporter renders histograms as summaries).
    let text = prometheus.render();
    println!("\n== counters ==");
    for line in text.lines() {
        if line.starts_with("asterism_executions_total")
            || line.starts_with("asterism_module_failures_total")
            || line.starts_with("asterism_module_skips_total")
        {
            println!("{line}");
        }
    }
    println!("\n== module latency percentiles (sampled executions), ns ==");
    println!(
        "{:<18} {:>8} {:>8} {:>8} {:>8} {:>8}",
        "module", "p50", "p90", "p99", "max", "samples"
    );
    let names: Vec<String> = (0..program.plan().module_count() as u32)
        .map(|m| program.plan().module_name(asterism::ModuleIx(m)).to_owned())
        .collect();
    for name in &names {
        let get = |suffix: &str, quantile: Option<&str>| -> String {
            text.lines()
                .find(|l| {
                    l.starts_with(&format!("asterism_module_duration_seconds{suffix}{{"))
                        && l.contains(&format!("module=\"{name}\""))
                        && quantile.is_none_or(|q| l.contains(&format!("quantile=\"{q}\"")))
                })
                .and_then(|l| l.rsplit(' ').next())
                .and_then(|v| v.parse::<f64>().ok())
                .map_or("-".to_owned(), |v| {
                    if suffix.is_empty() {
                        format!("{:.0}", v * 1e9)
                    } else {
                        format!("{v:.0}")
                    }
                })
        };
        println!(
            "{:<18} {:>8} {:>8} {:>8} {:>8} {:>8}",
            name,
            get("", Some("0.5")),
            get("", Some("0.9")),
            get("", Some("0.99")),
            get("", Some("1")),
            get("_count", None),
        );
    }
    println!("\n== execution latency (every execution), ns ==");
    let value = |name: &str| {
        text.lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse::<f64>().ok())
    };
    if let (Some(sum), Some(count)) = (
        value("asterism_execution_duration_seconds_sum{"),
        value("asterism_execution_duration_seconds_count{"),
    ) {
        println!(
            "mean     {:>8.0} over {count} executions",
            sum / count * 1e9
        );
    }
    for q in ["0.5", "0.9", "0.99", "0.999"] {
        if let Some(v) = text
            .lines()
            .find(|l| {
                l.starts_with("asterism_execution_duration_seconds{")
                    && l.contains(&format!("quantile=\"{q}\""))
            })
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse::<f64>().ok())
        {
            println!("p{:<6} {:>8.0}", q, v * 1e9);
        }
    }
    Ok(())
}
