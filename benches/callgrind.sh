#!/usr/bin/env bash
# Instructions per execution under callgrind: deterministic on a noisy
# machine, so these are the figures to track over time.
#   bash benches/callgrind.sh            # chain50 and layered50, every contender,
#                                        # then the module call options rows
# (asterism-tokio: sync modules through Program::run on a current-thread
# runtime; asterism-async: async modules whose futures are ready at once,
# the same way: their ratio is the async-ready cost.)
# Each figure is the instructions counted inside the binary's `measured`
# function (callgrind's --toggle-collect: setup, clock calibration and
# teardown stay out) divided by the number of executions.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v valgrind >/dev/null || { echo "valgrind is not installed (apt-get install valgrind)"; exit 1; }
cargo build --release -q -p asterism-benches --features peers --bin instructions
bin=target/release/instructions
N=${N:-2000}
count() {
  valgrind --tool=callgrind --toggle-collect='instructions::measured' \
    --callgrind-out-file=/dev/null "$bin" "$@" 2>&1 \
    | sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}
printf '| contender | workload | instructions / execution |\n|---|---|---|\n'
for w in chain50 layered50; do
  for c in floor asterism asterism-nolatency asterism-sampled asterism-tokio asterism-async reference dag_exec async_dag dag-flow dagrs; do
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
