#!/usr/bin/env bash
# Instructions per execution under callgrind: deterministic on a noisy
# machine, so these are the figures to track over time.
#   bash benches/callgrind.sh            # every workload below, every contender
#   W="chain1 chain5" bash benches/callgrind.sh   # some workloads only
# (asterism: the default configuration, module latencies sampled in one
# execution of 64; asterism-every: recorded in every execution;
# asterism-tokio: sync modules through Program::run on a current-thread
#   (then the module call options rows)
# runtime; asterism-async: async modules whose futures are ready at once,
# the same way: their ratio is the async-ready cost. pending-floor and
# asterism-pending: async modules pending on first poll, completed by a
# completer task, driven by hand with tokio and by asterism; these two
# count the completer task's and tokio's instructions too.)
# Each figure is the instructions counted inside the binary's `measured`
# function (callgrind's --toggle-collect: setup, clock calibration and
# teardown stay out) divided by the number of executions.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v valgrind >/dev/null || { echo "valgrind is not installed (apt-get install valgrind)"; exit 1; }
# FEATURES adds cargo features, e.g. the runtime's observability:
#   FEATURES=asterism-runtime/tracing,asterism-runtime/metrics bash benches/callgrind.sh
cargo build --release -q -p asterism-benches --features "peers${FEATURES:+,$FEATURES}" --bin instructions
bin=target/release/instructions
N=${N:-2000}
W=${W:-chain1 chain5 chain50 layered50}
count() {
  valgrind --tool=callgrind --toggle-collect='instructions::measured' \
    --callgrind-out-file=/dev/null "$bin" "$@" 2>&1 \
    | sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}
printf '| contender | workload | instructions / execution |\n|---|---|---|\n'
for w in $W; do
  for c in floor asterism asterism-nolatency asterism-every asterism-tokio asterism-async asterism-tokio-every asterism-async-every pending-floor asterism-pending reference dag_exec async_dag dag-flow dagrs; do
    n=$N; case $c in reference|dag*|async_dag) n=200;; esac
    total=$(count "$c" "$w" "$n")
    printf '| %s | %s | %s |\n' "$c" "$w" "$(( total / n ))"
  done
done
# Module call options: one option on every module of chain50 (latencies
# off), against the same modules without options (asterism-nolatency).
printf '\n| options (every module) | workload | instructions / execution |\n|---|---|---|\n'
for c in asterism-nolatency options-retry options-permit options-cache; do
  total=$(count "$c" chain50 "$N")
  printf '| %s | chain50 | %s |\n' "$c" "$(( total / N ))"
done
