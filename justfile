# Everyday commands. Each recipe is a thin wrapper; the commands work without just.

default: test

# Run the README's main job: a real pipeline with its output.
demo:
    cargo run --release -- run examples/diamond.json --inputs '{"x": 7, "y": 5}' --timings

# Every test.
test:
    cargo test --workspace

# Format and lint as CI does.
lint:
    cargo fmt --all -- --check
    cargo clippy --workspace --all-targets -- -D warnings

fmt:
    cargo fmt --all

# The whole CI script.
ci:
    bash .ci/run

# loom models of the slot/status/pending protocol (own target dir).
loom:
    RUSTFLAGS="--cfg asterism_loom" CARGO_TARGET_DIR=target/loom cargo test -p asterism-runtime --release --lib loom_models

# Compile-time benchmark (50 / 1,000 / 10,000 modules).
bench-compile:
    cargo bench -p asterism-benches --bench compile

# The full benchmark report (Markdown on stdout).
bench:
    cargo bench -p asterism-benches --features peers --bench report

# The report in quick mode (under two minutes).
bench-quick:
    cargo bench -p asterism-benches --features peers --bench report -- --quick

# Instructions per execution under callgrind (deterministic on a noisy machine).
callgrind:
    cargo build --release -p asterism-benches --bin instructions
    valgrind --tool=callgrind --callgrind-out-file=target/callgrind.out target/release/instructions
    callgrind_annotate target/callgrind.out | head -30

# The soak test: a million executions with faults, checked against the reference.
soak:
    cargo test --release --test soak -- --ignored --nocapture

# Optional nightly lanes; they skip cleanly without a nightly toolchain.
# miri: the runtime's unit tests and its module tests (real runs through the
# slots' unsafe cells, panics and async modules included; about 4 minutes).
miri:
    @if cargo +nightly miri --version >/dev/null 2>&1; then cargo +nightly miri test -p asterism-runtime --lib --test modules; else echo "no nightly with miri: miri skipped"; fi

tsan:
    @if rustup +nightly component list --installed 2>/dev/null | grep -q rust-src; then RUSTFLAGS="-Zsanitizer=thread" cargo +nightly test -Zbuild-std --target x86_64-unknown-linux-gnu --test executor; else echo "no nightly with rust-src: tsan skipped"; fi

fuzz:
    @if rustup toolchain list | grep -q nightly && command -v cargo-fuzz >/dev/null; then cd fuzz && cargo +nightly fuzz run spec -- -max_total_time=60; else echo "no nightly or cargo-fuzz: fuzz skipped"; fi
