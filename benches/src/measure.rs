//! The latency runner: per-execution times into an HDR histogram, plus
//! allocation counts from the binary's counting allocator.

use std::hint::black_box;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;

use crate::contenders::{expected, Runner};
use crate::workload::Graph;

/// What one contender did on one workload.
#[derive(Clone, Copy, Debug, Default)]
pub struct Stats {
    /// Median execution time, ns.
    pub p50: u64,
    /// 99th percentile, ns.
    pub p99: u64,
    /// 99.9th percentile, ns.
    pub p999: u64,
    /// Executions per second over the timed loop.
    pub per_sec: f64,
    /// Heap allocations per execution.
    pub allocs: f64,
    /// Heap bytes allocated per execution.
    pub bytes: f64,
    /// Executions timed.
    pub samples: u64,
}

/// Reads the process's allocation counters: (allocations, bytes).
pub type AllocReader = fn() -> (u64, u64);

/// How long to measure.
#[derive(Clone, Copy, Debug)]
pub struct Budget {
    /// Warm-up executions (each checked against the floor).
    pub warmup: usize,
    /// At most this many timed executions.
    pub max_iters: usize,
    /// At most this much time in the timed loop (at least `min_iters` run).
    pub time: Duration,
    /// At least this many timed executions.
    pub min_iters: usize,
}

/// Warms `runner` up, checking every warm-up output against the floor's.
pub fn warm_up(runner: &mut dyn Runner, graph: &Graph, warmup: usize) -> Result<(), String> {
    for seed in 0..warmup as i64 {
        let want = expected(graph, seed);
        let got = runner.run(seed);
        if got != want {
            return Err(format!(
                "wrong output on warm-up execution {seed}: {got:#x} != {want:#x}"
            ));
        }
    }
    Ok(())
}

/// Timed executions of one runner, gathered over one or several slices of
/// time (so that contenders can take turns and a burst of noise on the
/// machine falls on all of them).
pub struct Sampler {
    hist: Histogram<u64>,
    n: u64,
    busy: Duration,
    allocs: u64,
    bytes: u64,
}

impl Default for Sampler {
    fn default() -> Self {
        Sampler {
            hist: Histogram::<u64>::new_with_bounds(1, 60_000_000_000, 3).expect("valid bounds"),
            n: 0,
            busy: Duration::ZERO,
            allocs: 0,
            bytes: 0,
        }
    }
}

impl Sampler {
    /// Times executions one by one: at least `budget.min_iters`, then until
    /// `budget.time` has passed or `budget.max_iters` ran.
    pub fn run(&mut self, runner: &mut dyn Runner, budget: Budget, allocs: AllocReader) {
        let (a0, b0) = allocs();
        let start = Instant::now();
        let mut i = 0usize;
        while i < budget.max_iters && (i < budget.min_iters || start.elapsed() < budget.time) {
            let t = Instant::now();
            black_box(runner.run(black_box(self.n as i64)));
            self.hist
                .saturating_record(t.elapsed().as_nanos().max(1) as u64);
            self.n += 1;
            i += 1;
        }
        self.busy += start.elapsed();
        let (a1, b1) = allocs();
        self.allocs += a1 - a0;
        self.bytes += b1 - b0;
    }

    /// The statistics of every execution timed so far.
    pub fn stats(&self) -> Stats {
        let n = self.n.max(1) as f64;
        Stats {
            p50: self.hist.value_at_quantile(0.5),
            p99: self.hist.value_at_quantile(0.99),
            p999: self.hist.value_at_quantile(0.999),
            per_sec: self.n as f64 / self.busy.as_secs_f64().max(1e-9),
            allocs: self.allocs as f64 / n,
            bytes: self.bytes as f64 / n,
            samples: self.n,
        }
    }
}

/// Warms `runner` up (checking every warm-up output against the floor's),
/// then times executions one by one.
pub fn measure(
    runner: &mut dyn Runner,
    graph: &Graph,
    budget: Budget,
    allocs: AllocReader,
) -> Result<Stats, String> {
    warm_up(runner, graph, budget.warmup)?;
    let mut sampler = Sampler::default();
    sampler.run(runner, budget, allocs);
    Ok(sampler.stats())
}

/// Nanoseconds for people: `850 ns`, `12.3 µs`, `4.56 ms`.
pub fn human(ns: u64) -> String {
    match ns {
        0..=9_999 => format!("{ns} ns"),
        10_000..=9_999_999 => format!("{:.1} µs", ns as f64 / 1e3),
        _ => format!("{:.2} ms", ns as f64 / 1e6),
    }
}
