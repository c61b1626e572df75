//! Measuring the pending-async workloads of [`crate::pending`]: one
//! execution at a time (latency percentiles) and many in flight at once
//! (throughput), with the counters per execution: polls of module futures,
//! wake-ups of the driving task, allocations and bytes.

use std::sync::Arc;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use tokio::runtime::Runtime;

use crate::contenders::expected;
use crate::measure::{AllocReader, Budget};
use crate::pending::{counting_driver, driver_polls, polls, waiting_modules, PendingRunner};
use crate::workload::Graph;

/// What one contender did on one pending workload.
#[derive(Clone, Copy, Debug, Default)]
pub struct PendingStats {
    /// Median execution time, ns (one at a time), or the median wall time
    /// of a round (in flight).
    pub p50: u64,
    /// 99th percentile, ns (one at a time; 0 in flight).
    pub p99: u64,
    /// Executions per second.
    pub per_sec: f64,
    /// Polls of module futures per waiting module.
    pub polls_per_module: f64,
    /// Wake-ups of the driving task (its polls after the first) per
    /// waiting module.
    pub wakeups_per_module: f64,
    /// Heap allocations per execution.
    pub allocs: f64,
    /// Heap bytes per execution.
    pub bytes: f64,
}

/// Counter readings, for differences.
#[derive(Clone, Copy)]
struct Counters {
    polls: u64,
    driver: u64,
    allocs: u64,
    bytes: u64,
}

impl Counters {
    fn read(allocs: AllocReader) -> Counters {
        let (a, b) = allocs();
        Counters {
            polls: polls(),
            driver: driver_polls(),
            allocs: a,
            bytes: b,
        }
    }

    /// Per-execution figures from `self` to `end` over `n` executions of
    /// `graph`.
    fn fill(self, end: Counters, n: u64, graph: &Graph, stats: &mut PendingStats) {
        let n = n.max(1) as f64;
        let waiting = waiting_modules(graph).max(1) as f64;
        stats.polls_per_module = (end.polls - self.polls) as f64 / n / waiting;
        // Every driver poll but the first of each execution is a wake-up.
        stats.wakeups_per_module = ((end.driver - self.driver) as f64 - n).max(0.0) / n / waiting;
        stats.allocs = (end.allocs - self.allocs) as f64 / n;
        stats.bytes = (end.bytes - self.bytes) as f64 / n;
    }
}

/// One execution at a time, in one task spawned on `rt` (so it is driven by
/// a worker of the runtime): warms up (checking outputs against the
/// floor's), then times executions one by one.
pub fn one_at_a_time<R: PendingRunner>(
    rt: &Runtime,
    mut runner: R,
    graph: &Graph,
    budget: Budget,
    allocs: AllocReader,
) -> Result<PendingStats, String> {
    let wants: Vec<u64> = (0..budget.warmup as i64)
        .map(|s| expected(graph, s))
        .collect();
    let g = graph.clone();
    let task = rt.spawn(async move {
        for (seed, want) in wants.into_iter().enumerate() {
            let got = counting_driver(runner.run(seed as i64)).await;
            if got != want {
                return Err(format!(
                    "wrong output on warm-up execution {seed}: {got:#x} != {want:#x}"
                ));
            }
        }
        let mut hist =
            Histogram::<u64>::new_with_bounds(1, 60_000_000_000, 3).map_err(|e| e.to_string())?;
        let c0 = Counters::read(allocs);
        let start = Instant::now();
        let mut n = 0u64;
        while n < budget.max_iters as u64
            && (n < budget.min_iters as u64 || start.elapsed() < budget.time)
        {
            let t = Instant::now();
            std::hint::black_box(counting_driver(runner.run(n as i64)).await);
            hist.saturating_record(t.elapsed().as_nanos().max(1) as u64);
            n += 1;
        }
        let busy = start.elapsed();
        let c1 = Counters::read(allocs);
        let mut stats = PendingStats {
            p50: hist.value_at_quantile(0.5),
            p99: hist.value_at_quantile(0.99),
            per_sec: n as f64 / busy.as_secs_f64().max(1e-9),
            ..PendingStats::default()
        };
        c0.fill(c1, n, &g, &mut stats);
        Ok(stats)
    });
    rt.block_on(task).map_err(|e| e.to_string())?
}

/// How many executions are in flight, and for how long.
#[derive(Clone, Copy, Debug)]
pub struct InFlight {
    /// Tasks spawned per round, each running its executions one after
    /// another (so this many executions are in flight at once).
    pub tasks: usize,
    /// Executions per task per round.
    pub per_task: usize,
    /// Rounds; the median round's wall time is reported.
    pub rounds: usize,
}

/// `load.tasks` executions in flight at once on `rt`, each task running
/// `load.per_task` executions, after one round of warm-up; every output is
/// checked. Allocations per
/// execution include the task spawns (one per `per_task` executions).
pub fn in_flight<R: PendingRunner>(
    rt: &Runtime,
    make: impl Fn() -> R,
    graph: &Graph,
    load: InFlight,
    allocs: AllocReader,
) -> Result<PendingStats, String> {
    let wants: Arc<Vec<u64>> = Arc::new(
        (0..load.per_task as i64)
            .map(|s| expected(graph, s))
            .collect(),
    );
    let mut walls = Vec::with_capacity(load.rounds);
    let mut stats = PendingStats::default();
    let mut total = Counters {
        polls: 0,
        driver: 0,
        allocs: 0,
        bytes: 0,
    };
    // Round 0 warms up (the pool fills with states, each with its future
    // cells) and is neither timed nor counted.
    for round in 0..=load.rounds {
        let runners: Vec<R> = (0..load.tasks).map(|_| make()).collect();
        let c0 = Counters::read(allocs);
        let wall = rt.block_on(async {
            let t = Instant::now();
            let handles: Vec<_> = runners
                .into_iter()
                .map(|mut r| {
                    let wants = wants.clone();
                    tokio::spawn(async move {
                        for (seed, want) in wants.iter().enumerate() {
                            if counting_driver(r.run(seed as i64)).await != *want {
                                return false;
                            }
                        }
                        true
                    })
                })
                .collect();
            let mut ok = true;
            for h in handles {
                ok &= h.await.unwrap_or(false);
            }
            (t.elapsed(), ok)
        });
        let c1 = Counters::read(allocs);
        if !wall.1 {
            return Err("wrong output in flight".into());
        }
        if round == 0 {
            continue;
        }
        walls.push(wall.0);
        total.polls += c1.polls - c0.polls;
        total.driver += c1.driver - c0.driver;
        total.allocs += c1.allocs - c0.allocs;
        total.bytes += c1.bytes - c0.bytes;
    }
    walls.sort();
    let wall = walls
        .get(walls.len() / 2)
        .copied()
        .unwrap_or(Duration::ZERO);
    let execs = (load.tasks * load.per_task) as u64;
    stats.p50 = wall.as_nanos() as u64;
    stats.per_sec = execs as f64 / wall.as_secs_f64().max(1e-9);
    let zero = Counters {
        polls: 0,
        driver: 0,
        allocs: 0,
        bytes: 0,
    };
    zero.fill(total, execs * load.rounds as u64, graph, &mut stats);
    Ok(stats)
}
