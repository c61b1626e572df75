//! End-to-end tests of the `asterism` binary: every example runs and prints
//! exactly its declared outputs, and bad input on every CLI surface gives
//! exit code 1, a message on stderr naming the problem, nothing on stdout,
//! and never a panic.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::{json, Value};

const DIAMOND: &str = "examples/diamond.json";
const TEXT: &str = "examples/text.json";
const FAN_IN: &str = "examples/fan_in_records.json";
const FAILING: &str = "examples/failing_branch.json";

const DIAMOND_INPUTS: &str = r#"{"x": 7, "y": 5}"#;
const TEXT_INPUTS: &str = r#"{"text": "  Hello World "}"#;
const FAN_IN_INPUTS: &str = r#"{"price": 12, "qty": 3, "discount": 4}"#;
const FAILING_INPUTS: &str = r#"{"a": 7, "b": 0}"#;

const DIVIDE: &str = "`stdlib.divide` (45df606a-f02b-5508-afb6-5bf4098af75f)";
const DEPENDANT_ADD: &str = "`stdlib.add` (c5f74be2-7fbe-5721-861d-6e1c2bbec81f)";
const INDEPENDENT_ADD: &str = "d4c3606a-58cc-5a5e-86e6-ddc56b8c5a16";

/// What one run of the binary left behind.
#[derive(Debug)]
struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Out {
    /// Stdout parsed as JSON.
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", self.stdout))
    }
}

fn command() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_asterism"));
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::null())
        // Backtraces would only add noise to a panic we assert never happens.
        .env_remove("RUST_BACKTRACE")
        .env_remove("RUST_LIB_BACKTRACE");
    cmd
}

fn finish(cmd: &mut Command) -> Out {
    let out = cmd.output().expect("the asterism binary starts");
    let out = Out {
        code: out.status.code().expect("asterism exits with a code"),
        stdout: String::from_utf8(out.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(out.stderr).expect("stderr is UTF-8"),
    };
    assert!(
        !out.stderr.contains("panicked"),
        "asterism panicked: {out:#?}"
    );
    assert_ne!(out.code, 101, "asterism panicked: {out:#?}");
    out
}

fn asterism(args: &[&str]) -> Out {
    finish(command().args(args))
}

/// Asserts a clean success: exit 0 and nothing on stderr.
fn assert_ok(out: &Out) {
    assert_eq!(out.code, 0, "expected success: {out:#?}");
    assert_eq!(out.stderr, "", "expected a quiet stderr: {out:#?}");
}

/// Asserts a clean rejection: exit 1, nothing on stdout, and a stderr that
/// starts with `error:` and contains every one of `needles`.
fn assert_rejected(out: &Out, needles: &[&str]) {
    assert_eq!(out.code, 1, "expected exit code 1: {out:#?}");
    assert_eq!(out.stdout, "", "expected nothing on stdout: {out:#?}");
    assert!(
        out.stderr.starts_with("error: "),
        "stderr should start with `error: `: {out:#?}"
    );
    for needle in needles {
        assert!(
            out.stderr.contains(needle),
            "stderr should contain {needle:?}: {out:#?}"
        );
    }
}

/// The keys of a JSON object, in the order they were printed.
fn keys(v: &Value) -> Vec<&str> {
    v.as_object()
        .unwrap_or_else(|| panic!("not a JSON object: {v}"))
        .keys()
        .map(String::as_str)
        .collect()
}

/// A file under the temp dir with a unique name, removed on drop.
struct TempFile(PathBuf);

impl TempFile {
    fn new(name: &str, contents: &str) -> TempFile {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!(
            "asterism-cli-test-{}-{n}-{name}",
            std::process::id()
        ));
        std::fs::write(&path, contents).expect("write a temp file");
        TempFile(path)
    }

    fn path(&self) -> &str {
        self.0.to_str().expect("temp path is UTF-8")
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// A path that does not exist.
fn missing_path(name: &str) -> String {
    let p = std::env::temp_dir().join(format!(
        "asterism-cli-test-{}-does-not-exist-{name}",
        std::process::id()
    ));
    assert!(!Path::new(&p).exists());
    p.to_str().expect("temp path is UTF-8").to_owned()
}

// ---------------------------------------------------------------------------
// The examples.
// ---------------------------------------------------------------------------

#[test]
fn parsed_json_keeps_key_order() {
    // The key-order assertions below rely on serde_json's `preserve_order`,
    // which the facade crate enables and this test shares.
    let v: Value = serde_json::from_str(r#"{"b": 1, "a": 2}"#).unwrap();
    assert_eq!(keys(&v), ["b", "a"]);
}

#[test]
fn diamond_prints_its_outputs_in_declared_order() {
    let out = asterism(&["run", DIAMOND, "--inputs", DIAMOND_INPUTS]);
    assert_ok(&out);
    let v = out.json();
    assert_eq!(v, json!({"sum": 12, "diff": -2, "product": -24}));
    assert_eq!(keys(&v), ["sum", "diff", "product"]);
}

#[test]
fn text_example_trims_cases_measures_and_interpolates() {
    let out = asterism(&["run", TEXT, "--inputs", TEXT_INPUTS]);
    assert_ok(&out);
    let v = out.json();
    assert_eq!(
        v,
        json!({
            "upper": "HELLO WORLD",
            "length": 11,
            "message": "HELLO WORLD/hello world has 11 characters",
        })
    );
    assert_eq!(keys(&v), ["upper", "length", "message"]);
}

#[test]
fn fan_in_records_builds_merges_and_projects() {
    let out = asterism(&["run", FAN_IN, "--inputs", FAN_IN_INPUTS]);
    assert_ok(&out);
    let v = out.json();
    assert_eq!(
        v,
        json!({
            "order": {"bulk": true, "gross": 36, "net": 32, "qty": 3},
            "summary": {"net": 32, "qty": 3},
        })
    );
    assert_eq!(keys(&v), ["order", "summary"]);
    assert_eq!(keys(&v["order"]), ["bulk", "gross", "net", "qty"]);
    assert_eq!(keys(&v["summary"]), ["net", "qty"]);
}

#[test]
fn failing_branch_skips_the_dependant_and_finishes_the_rest() {
    let out = asterism(&["run", FAILING, "--inputs", FAILING_INPUTS]);
    assert_eq!(out.code, 2, "{out:#?}");
    let v = out.json();
    assert_eq!(v, json!({"quotient_plus_a": null, "sum": 7}));
    assert_eq!(keys(&v), ["quotient_plus_a", "sum"]);

    let lines: Vec<&str> = out.stderr.lines().collect();
    assert_eq!(lines.len(), 2, "one line per failed/skipped node: {out:#?}");
    let failed = format!("error: {DIVIDE} failed: ");
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with(&failed) && l.contains("Division by zero")),
        "stderr names the failed node and its cause: {out:#?}"
    );
    let skipped = format!("error: {DEPENDANT_ADD} skipped: upstream {DIVIDE}");
    assert!(
        lines.iter().any(|l| l.starts_with(&skipped)),
        "stderr names the skipped dependant and its upstream: {out:#?}"
    );
    assert!(
        !out.stderr.contains(INDEPENDENT_ADD),
        "the independent branch completed and is not named: {out:#?}"
    );
}

#[test]
fn failing_branch_with_a_nonzero_divisor_succeeds() {
    let out = asterism(&["run", FAILING, "--inputs", r#"{"a": 7, "b": 2}"#]);
    assert_ok(&out);
    let v = out.json();
    assert_eq!(v, json!({"quotient_plus_a": 10, "sum": 9}));
    assert_eq!(keys(&v), ["quotient_plus_a", "sum"]);
}

#[test]
fn tagged_format_prints_the_originals_tagged_values() {
    let out = asterism(&[
        "run",
        DIAMOND,
        "--inputs",
        DIAMOND_INPUTS,
        "--format",
        "tagged",
    ]);
    assert_ok(&out);
    let v = out.json();
    assert_eq!(
        v,
        json!({
            "sum": {"tag": "CInt", "value": 12},
            "diff": {"tag": "CInt", "value": -2},
            "product": {"tag": "CInt", "value": -24},
        })
    );
    assert_eq!(keys(&v), ["sum", "diff", "product"]);

    let out = asterism(&["run", TEXT, "--inputs", TEXT_INPUTS, "--format", "tagged"]);
    assert_ok(&out);
    assert_eq!(
        out.json()["upper"],
        json!({"tag": "CString", "value": "HELLO WORLD"})
    );

    // A value that was never computed is still null.
    let out = asterism(&[
        "run",
        FAILING,
        "--inputs",
        FAILING_INPUTS,
        "--format",
        "tagged",
    ]);
    assert_eq!(out.code, 2, "{out:#?}");
    assert_eq!(
        out.json(),
        json!({"quotient_plus_a": null, "sum": {"tag": "CInt", "value": 7}})
    );

    // `plain` is the default, and can be asked for.
    let out = asterism(&[
        "run",
        DIAMOND,
        "--inputs",
        DIAMOND_INPUTS,
        "--format",
        "plain",
    ]);
    assert_ok(&out);
    assert_eq!(out.json(), json!({"sum": 12, "diff": -2, "product": -24}));
}

/// The module rows of a timing table: (module name, status) in print order.
fn timing_rows(stderr: &str) -> Vec<(String, String)> {
    let mut lines = stderr.lines().skip_while(|l| !l.starts_with("module "));
    let header = lines.next().expect("a timing table header");
    let header: Vec<&str> = header.split_whitespace().collect();
    assert_eq!(header, ["module", "status", "latency"]);
    lines
        .take_while(|l| !l.starts_with("total:"))
        .map(|l| {
            let mut words = l.split_whitespace();
            let name = words.next().expect("a module name").to_owned();
            let status = words.next().expect("a status").to_owned();
            assert!(words.next().is_some(), "a latency column: {l:?}");
            (name, status)
        })
        .collect()
}

#[test]
fn timings_print_a_module_table_on_stderr() {
    let out = asterism(&["run", DIAMOND, "--inputs", DIAMOND_INPUTS, "--timings"]);
    assert_eq!(out.code, 0, "{out:#?}");
    // The outputs are unchanged and stdout holds nothing else.
    assert_eq!(out.json(), json!({"sum": 12, "diff": -2, "product": -24}));
    let mut rows = timing_rows(&out.stderr);
    rows.sort();
    assert_eq!(
        rows,
        [
            ("diamond.add".to_owned(), "fired".to_owned()),
            ("diamond.multiply".to_owned(), "fired".to_owned()),
            ("diamond.subtract".to_owned(), "fired".to_owned()),
        ]
    );
    let total = out
        .stderr
        .lines()
        .find(|l| l.starts_with("total: "))
        .unwrap_or_else(|| panic!("a `total:` line: {out:#?}"));
    assert!(total.ends_with(" ms"), "{total:?}");

    // A failed run shows every status, then the problems.
    let out = asterism(&["run", FAILING, "--inputs", FAILING_INPUTS, "--timings"]);
    assert_eq!(out.code, 2, "{out:#?}");
    let mut statuses: Vec<String> = timing_rows(&out.stderr)
        .into_iter()
        .map(|(name, status)| format!("{name} {status}"))
        .collect();
    statuses.sort();
    assert_eq!(
        statuses,
        [
            "stdlib.add fired",
            "stdlib.add skipped",
            "stdlib.divide failed"
        ]
    );
    assert!(out.stderr.contains("total: "), "{out:#?}");
    assert!(out.stderr.contains(&format!("{DIVIDE} failed")), "{out:#?}");
}

/// The latency column of each module row of a timing table.
fn timing_latencies(stderr: &str) -> Vec<String> {
    stderr
        .lines()
        .skip_while(|l| !l.starts_with("module "))
        .skip(1)
        .take_while(|l| !l.starts_with("total:"))
        .map(|l| {
            let words: Vec<&str> = l.split_whitespace().collect();
            match words[..] {
                [.., "-"] => "-".to_owned(),
                [.., number, unit] => format!("{number} {unit}"),
                _ => panic!("a latency column: {l:?}"),
            }
        })
        .collect()
}

/// A measured latency: a number and a unit, not `-`.
fn is_measured(latency: &str) -> bool {
    latency
        .split_once(' ')
        .is_some_and(|(n, unit)| n.parse::<f64>().is_ok() && (unit == "µs" || unit == "ms"))
}

#[test]
fn timings_keep_real_latencies_when_latencies_are_sampled() {
    // One execution in 64 records module latencies; the first on each
    // thread is one of them, so a single CLI run still shows them all.
    let sampled = TempFile::new(
        "sampled.toml",
        "[runtime.modules]\nlatency-sample-every = 64\n",
    );
    let out = asterism(&[
        "run",
        DIAMOND,
        "--inputs",
        DIAMOND_INPUTS,
        "--timings",
        "--config",
        sampled.path(),
    ]);
    assert_eq!(out.code, 0, "{out:#?}");
    assert_eq!(out.json(), json!({"sum": 12, "diff": -2, "product": -24}));
    let latencies = timing_latencies(&out.stderr);
    assert_eq!(latencies.len(), 3, "{out:#?}");
    assert!(latencies.iter().all(|l| is_measured(l)), "{latencies:?}");
    // The failed module's latency is measured too; the skipped one has none.
    let out = asterism(&[
        "run",
        FAILING,
        "--inputs",
        FAILING_INPUTS,
        "--timings",
        "--config",
        sampled.path(),
    ]);
    assert_eq!(out.code, 2, "{out:#?}");
    let rows: Vec<(String, String)> = timing_rows(&out.stderr)
        .into_iter()
        .map(|(_, status)| status)
        .zip(timing_latencies(&out.stderr))
        .collect();
    for (status, latency) in &rows {
        match status.as_str() {
            "fired" | "failed" => assert!(is_measured(latency), "{rows:?}"),
            _ => assert_eq!(latency, "-", "{rows:?}"),
        }
    }

    // What the check tells apart: with recording off, no latencies at all.
    let off = TempFile::new("off.toml", "[runtime.modules]\nrecord-latency = false\n");
    let out = asterism(&[
        "run",
        DIAMOND,
        "--inputs",
        DIAMOND_INPUTS,
        "--timings",
        "--config",
        off.path(),
    ]);
    assert_eq!(out.code, 0, "{out:#?}");
    assert_eq!(timing_latencies(&out.stderr), ["-", "-", "-"]);
}

#[test]
fn inputs_can_come_from_a_file() {
    let inputs = TempFile::new("inputs.json", DIAMOND_INPUTS);
    let at = format!("@{}", inputs.path());
    let out = asterism(&["run", DIAMOND, "--inputs", &at]);
    assert_ok(&out);
    let v = out.json();
    assert_eq!(v, json!({"sum": 12, "diff": -2, "product": -24}));
    assert_eq!(keys(&v), ["sum", "diff", "product"]);
}

/// Checks `asterism check FILE`: the header and counts line exactly, the
/// inputs and outputs sections exactly, and the modules section as a set.
fn assert_check_summary(
    file: &str,
    name: &str,
    counts: &str,
    inputs: &[&str],
    outputs: &[&str],
    modules: &[&str],
) {
    let out = asterism(&["check", file]);
    assert_ok(&out);
    let lines: Vec<&str> = out.stdout.lines().collect();
    let section = |title: &str| -> Vec<&str> {
        let start = lines
            .iter()
            .position(|l| *l == title)
            .unwrap_or_else(|| panic!("no `{title}` section: {out:#?}"));
        lines[start + 1..]
            .iter()
            .take_while(|l| l.starts_with("    "))
            .map(|l| l.trim())
            .collect()
    };
    assert_eq!(lines[0], format!("{file}: pipeline `{name}` compiles"));
    assert_eq!(lines[1], counts, "{out:#?}");
    assert_eq!(section("  inputs:"), inputs, "{out:#?}");
    assert_eq!(section("  outputs:"), outputs, "{out:#?}");
    let mut listed = section("  modules:");
    listed.sort_unstable();
    let mut modules = modules.to_vec();
    modules.sort_unstable();
    assert_eq!(listed, modules, "{out:#?}");
}

#[test]
fn check_summarises_every_example() {
    assert_check_summary(
        DIAMOND,
        "diamond",
        "  modules: 3   transforms: 0   data nodes: 5   depth: 2",
        &["x: Int", "y: Int"],
        &["sum: Int", "diff: Int", "product: Int"],
        &[
            "diamond.add -> stdlib.add (a: Int, b: Int)",
            "diamond.subtract -> stdlib.subtract (a: Int, b: Int)",
            "diamond.multiply -> stdlib.multiply (a: Int, b: Int)",
        ],
    );
    assert_check_summary(
        TEXT,
        "text",
        "  modules: 4   transforms: 1   data nodes: 6   depth: 3",
        &["text: String"],
        &["upper: String", "length: Int", "message: String"],
        &[
            "text.Trim -> Trim (text: String)",
            "text.Uppercase -> Uppercase (text: String)",
            "text.Lowercase -> Lowercase (text: String)",
            "stdlib.string-length -> stdlib.string-length (value: String)",
        ],
    );
    assert_check_summary(
        FAN_IN,
        "orders",
        "  modules: 3   transforms: 4   data nodes: 10   depth: 6",
        &["discount: Int", "price: Int", "qty: Int"],
        &[
            "order: {bulk: Boolean, gross: Int, net: Int, qty: Int}",
            "summary: {net: Int, qty: Int}",
        ],
        &[
            "stdlib.multiply -> stdlib.multiply (a: Int, b: Int)",
            "stdlib.subtract -> stdlib.subtract (a: Int, b: Int)",
            "stdlib.gt -> stdlib.gt (a: Int, b: Int)",
        ],
    );
    assert_check_summary(
        FAILING,
        "failing",
        "  modules: 3   transforms: 0   data nodes: 5   depth: 2",
        &["a: Int", "b: Int"],
        &["quotient_plus_a: Int", "sum: Int"],
        &[
            "stdlib.divide -> stdlib.divide (a: Int, b: Int)",
            "stdlib.add -> stdlib.add (a: Int, b: Int)",
            "stdlib.add -> stdlib.add (a: Int, b: Int)",
        ],
    );
}

#[test]
fn the_reference_executor_gives_the_same_outputs() {
    let config = TempFile::new("reference.toml", "[runtime.state]\nmutable = false\n");
    let out = asterism(&[
        "run",
        DIAMOND,
        "--inputs",
        DIAMOND_INPUTS,
        "--config",
        config.path(),
    ]);
    assert_ok(&out);
    let v = out.json();
    assert_eq!(v, json!({"sum": 12, "diff": -2, "product": -24}));
    assert_eq!(keys(&v), ["sum", "diff", "product"]);

    // Every example, failures included: byte-identical stdout, same stderr
    // and exit code as the default (slot) executor.
    for (file, inputs) in [
        (DIAMOND, DIAMOND_INPUTS),
        (TEXT, TEXT_INPUTS),
        (FAN_IN, FAN_IN_INPUTS),
        (FAILING, FAILING_INPUTS),
    ] {
        let slot = asterism(&["run", file, "--inputs", inputs]);
        let reference = asterism(&["run", file, "--inputs", inputs, "--config", config.path()]);
        assert_eq!(
            slot.code, reference.code,
            "{file}: {slot:#?} {reference:#?}"
        );
        assert_eq!(slot.stdout, reference.stdout, "{file}");
        assert_eq!(slot.stderr, reference.stderr, "{file}");
    }
}

// ---------------------------------------------------------------------------
// Bad input, surface by surface.
// ---------------------------------------------------------------------------

#[test]
fn a_missing_spec_file_is_named() {
    let path = missing_path("spec.json");
    for cmd in ["check", "run"] {
        let out = asterism(&[cmd, &path]);
        assert_rejected(&out, &["cannot read spec", &path]);
    }
}

#[test]
fn a_spec_that_is_not_json_is_named() {
    for (name, text) in [("garbage.json", "not json {"), ("empty.json", "")] {
        let spec = TempFile::new(name, text);
        for cmd in ["check", "run"] {
            let out = asterism(&[cmd, spec.path()]);
            assert_rejected(&out, &[spec.path(), "is not valid JSON", "line 1"]);
        }
    }
}

#[test]
fn json_that_is_not_a_dagspec_is_named() {
    let spec = TempFile::new("not-a-spec.json", r#"{"modules": 5}"#);
    for cmd in ["check", "run"] {
        let out = asterism(&[cmd, spec.path()]);
        assert_rejected(
            &out,
            &[
                spec.path(),
                "is not a valid DagSpec",
                "expected a JSON object",
            ],
        );
    }
}

/// A spec with three compile problems: an unknown module, a module
/// parameter with no input, and an output bound to a node that is not there.
fn broken_spec() -> String {
    let int = json!({"tag": "CInt"});
    json!({
        "metadata": {"name": "broken"},
        "modules": {
            "11111111-1111-4111-8111-111111111111": {
                "metadata": {"name": "nope.mystery"},
                "consumes": {"a": int},
                "produces": {"out": int},
            },
            "22222222-2222-4222-8222-222222222222": {
                "metadata": {"name": "stdlib.add"},
                "consumes": {"a": int, "b": int},
                "produces": {"out": int},
            },
        },
        "data": {
            "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa": {
                "name": "x",
                "nicknames": {
                    "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa": "x",
                    "11111111-1111-4111-8111-111111111111": "a",
                    "22222222-2222-4222-8222-222222222222": "a",
                },
                "cType": int,
            },
            "bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb": {
                "name": "m",
                "nicknames": {"11111111-1111-4111-8111-111111111111": "out"},
                "cType": int,
            },
            "cccccccc-cccc-4ccc-8ccc-cccccccccccc": {
                "name": "s",
                "nicknames": {"22222222-2222-4222-8222-222222222222": "out"},
                "cType": int,
            },
        },
        "inEdges": [
            ["aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa", "11111111-1111-4111-8111-111111111111"],
            ["aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa", "22222222-2222-4222-8222-222222222222"],
        ],
        "outEdges": [
            ["11111111-1111-4111-8111-111111111111", "bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb"],
            ["22222222-2222-4222-8222-222222222222", "cccccccc-cccc-4ccc-8ccc-cccccccccccc"],
        ],
        "declaredOutputs": ["m", "s", "ghost"],
        "outputBindings": {
            "m": "bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb",
            "s": "cccccccc-cccc-4ccc-8ccc-cccccccccccc",
            "ghost": "dddddddd-dddd-4ddd-8ddd-dddddddddddd",
        },
    })
    .to_string()
}

#[test]
fn every_compile_problem_is_listed_with_name_and_uuid() {
    let spec = TempFile::new("broken.json", &broken_spec());
    for args in [
        vec!["check", spec.path()],
        vec!["run", spec.path(), "--inputs", r#"{"x": 1}"#],
    ] {
        let out = asterism(&args);
        assert_rejected(
            &out,
            &[
                spec.path(),
                "3 problems",
                // The unknown module, by name and UUID.
                "`nope.mystery` (11111111-1111-4111-8111-111111111111)",
                "no module named `nope.mystery`",
                // The unbound parameter, by module name and UUID.
                "`stdlib.add` (22222222-2222-4222-8222-222222222222)",
                "parameter `b` (Int) has no input",
                // The output bound to a missing node, by output and UUID.
                "output `ghost` is bound to dddddddd-dddd-4ddd-8ddd-dddddddddddd",
            ],
        );
        let numbered = out
            .stderr
            .lines()
            .filter(|l| l.trim_start().starts_with(|c: char| c.is_ascii_digit()))
            .count();
        assert_eq!(numbered, 3, "one numbered line per problem: {out:#?}");
    }
}

#[test]
fn inputs_that_are_not_json_are_named() {
    for inputs in ["nope", "{\"x\": 7,", ""] {
        let out = asterism(&["run", DIAMOND, "--inputs", inputs]);
        assert_rejected(&out, &["the inputs are not valid JSON"]);
    }
}

#[test]
fn inputs_that_are_not_an_object_are_named() {
    for (inputs, found) in [
        ("[7, 5]", "not an array"),
        ("null", "not null"),
        ("12", "not a number"),
    ] {
        let out = asterism(&["run", DIAMOND, "--inputs", inputs]);
        assert_rejected(&out, &["inputs must be a JSON object", found]);
    }
}

#[test]
fn missing_unknown_and_mistyped_inputs_are_all_named_at_once() {
    let out = asterism(&["run", DIAMOND, "--inputs", r#"{"y": "five", "z": 1}"#]);
    assert_rejected(
        &out,
        &[
            "3 problems",
            "input `x` (Int) is missing",
            "input `z` is not an input of this pipeline",
            "y: expected Int, found string",
        ],
    );

    // No `--inputs` at all: every input is missing.
    let out = asterism(&["run", DIAMOND]);
    assert_rejected(
        &out,
        &[
            "2 problems",
            "input `x` (Int) is missing",
            "input `y` (Int) is missing",
        ],
    );

    // A number that is not an Int.
    let out = asterism(&["run", DIAMOND, "--inputs", r#"{"x": 7.5, "y": 5}"#]);
    assert_rejected(&out, &["x: expected Int"]);
}

#[test]
fn an_inputs_file_that_is_missing_is_named() {
    let path = missing_path("inputs.json");
    let at = format!("@{path}");
    let out = asterism(&["run", DIAMOND, "--inputs", &at]);
    assert_rejected(&out, &["cannot read inputs", &path]);

    let out = asterism(&["run", DIAMOND, "--inputs", "@"]);
    assert_rejected(&out, &["`--inputs @` needs a file path"]);

    // A file that is there but holds no JSON.
    let inputs = TempFile::new("inputs.txt", "x=7");
    let at = format!("@{}", inputs.path());
    let out = asterism(&["run", DIAMOND, "--inputs", &at]);
    assert_rejected(&out, &["the inputs are not valid JSON"]);
}

#[test]
fn a_missing_config_file_is_named() {
    let path = missing_path("config.toml");
    let out = asterism(&[
        "run",
        DIAMOND,
        "--inputs",
        DIAMOND_INPUTS,
        "--config",
        &path,
    ]);
    assert_rejected(&out, &["cannot read config", &path]);
}

#[test]
fn a_config_that_is_not_toml_is_named() {
    let config = TempFile::new("bad.toml", "this is = = not toml");
    let out = asterism(&[
        "run",
        DIAMOND,
        "--inputs",
        DIAMOND_INPUTS,
        "--config",
        config.path(),
    ]);
    assert_rejected(
        &out,
        &[
            config.path(),
            "invalid runtime configuration",
            "TOML parse error",
        ],
    );
}

#[test]
fn unknown_and_mistyped_config_keys_are_named() {
    for (toml, needles) in [
        (
            "[runtime.state]\nmutabel = false\n",
            &["unknown field `mutabel`", "runtime.state"][..],
        ),
        ("[runtime]\nfoo = 1\n", &["unknown field `foo`", "runtime"]),
        ("bar = 1\n", &["unknown field `bar`"]),
        (
            "[runtime.state]\nmutable = \"no\"\n",
            &["expected a boolean", "runtime.state.mutable"],
        ),
        (
            "[runtime.state.pooling]\nsize = -1\n",
            &["runtime.state.pooling.size"],
        ),
    ] {
        let config = TempFile::new("config.toml", toml);
        let out = asterism(&[
            "run",
            DIAMOND,
            "--inputs",
            DIAMOND_INPUTS,
            "--config",
            config.path(),
        ]);
        let mut all = vec![config.path(), "invalid runtime configuration"];
        all.extend_from_slice(needles);
        assert_rejected(&out, &all);
    }
}

#[test]
fn bad_arguments_exit_1_with_a_message() {
    let out = asterism(&["bogus"]);
    assert_rejected(&out, &["unrecognized subcommand 'bogus'"]);

    let out = asterism(&["run", DIAMOND, "--bogus"]);
    assert_rejected(&out, &["unexpected argument '--bogus'"]);

    let out = asterism(&["check", "--inputs", "{}", DIAMOND]);
    assert_rejected(&out, &["unexpected argument '--inputs'"]);

    let out = asterism(&[
        "run",
        DIAMOND,
        "--inputs",
        DIAMOND_INPUTS,
        "--format",
        "bogus",
    ]);
    assert_rejected(
        &out,
        &[
            "invalid value 'bogus' for '--format <FORMAT>'",
            "plain, tagged",
        ],
    );

    let out = asterism(&["run", DIAMOND, "--inputs"]);
    assert_rejected(&out, &["a value is required for '--inputs <INPUTS>'"]);

    for cmd in ["check", "run"] {
        let out = asterism(&[cmd]);
        assert_rejected(&out, &["required arguments were not provided", "<FILE>"]);
    }
}

#[test]
fn no_arguments_exit_1_with_the_usage() {
    let out = asterism(&[]);
    assert_eq!(out.code, 1, "{out:#?}");
    assert_eq!(out.stdout, "", "{out:#?}");
    for needle in ["Usage: asterism <COMMAND>", "check", "run"] {
        assert!(out.stderr.contains(needle), "{needle:?}: {out:#?}");
    }
}

#[test]
fn help_and_version_exit_0() {
    for args in [&["--help"][..], &["-h"], &["help"]] {
        let out = asterism(args);
        assert_ok(&out);
        assert!(out.stdout.contains("Usage: asterism <COMMAND>"), "{out:#?}");
        assert!(out.stdout.contains("check"), "{out:#?}");
        assert!(out.stdout.contains("run"), "{out:#?}");
    }
    let out = asterism(&["run", "--help"]);
    assert_ok(&out);
    for flag in ["--inputs", "--timings", "--format", "--config"] {
        assert!(out.stdout.contains(flag), "{flag}: {out:#?}");
    }
    for args in [&["--version"][..], &["-V"]] {
        let out = asterism(args);
        assert_ok(&out);
        assert_eq!(
            out.stdout.trim_end(),
            format!("asterism {}", env!("CARGO_PKG_VERSION"))
        );
    }
}

// ---------------------------------------------------------------------------
// Output that cannot be written.
// ---------------------------------------------------------------------------

#[cfg(target_os = "linux")]
fn dev_full() -> std::fs::File {
    std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .expect("open /dev/full")
}

#[cfg(target_os = "linux")]
#[test]
fn a_full_stdout_is_an_error_not_a_panic_or_silent_success() {
    let out = finish(command().args(["check", DIAMOND]).stdout(dev_full()));
    assert_eq!(out.code, 1, "{out:#?}");
    assert!(
        out.stderr
            .contains("error: cannot write the summary to stdout"),
        "{out:#?}"
    );

    let out = finish(
        command()
            .args(["run", DIAMOND, "--inputs", DIAMOND_INPUTS])
            .stdout(dev_full()),
    );
    assert_eq!(out.code, 1, "{out:#?}");
    assert!(
        out.stderr
            .contains("error: cannot write the outputs to stdout"),
        "{out:#?}"
    );
}

#[cfg(target_os = "linux")]
#[test]
fn a_full_stderr_keeps_the_exit_code() {
    for (args, code) in [
        (
            vec!["run", FAILING, "--inputs", FAILING_INPUTS, "--timings"],
            2,
        ),
        (vec!["run", DIAMOND, "--inputs", "[]"], 1),
        (vec!["check", "no-such-spec.json"], 1),
    ] {
        let status = command()
            .args(&args)
            .stdout(Stdio::null())
            .stderr(dev_full())
            .status()
            .expect("the asterism binary starts");
        assert_eq!(status.code(), Some(code), "{args:?}");
    }
}

// ---------------------------------------------------------------------------
// The trust boundary (issue #14): what the CLI reads, and how much.
// ---------------------------------------------------------------------------

#[test]
fn a_json_array_or_another_kind_of_object_is_not_a_spec() {
    for text in ["[]", r#"{"dagSpec": {}, "structuralHash": "x"}"#] {
        let spec = TempFile::new("array.json", text);
        for cmd in ["check", "run"] {
            let out = asterism(&[cmd, spec.path()]);
            assert_rejected(&out, &[spec.path(), "not a DagSpec"]);
        }
    }
}

#[test]
fn an_input_given_twice_is_refused_and_named() {
    let out = asterism(&["run", DIAMOND, "--inputs", r#"{"x": 1, "y": 5, "x": 7}"#]);
    assert_rejected(&out, &["duplicate key `x`"]);
    let inputs = TempFile::new("dup.json", r#"{"x": 1, "y": 5, "y": 2}"#);
    let out = asterism(&["run", DIAMOND, "--inputs", &format!("@{}", inputs.path())]);
    assert_rejected(&out, &["duplicate key `y`"]);
}

#[test]
fn a_byte_order_mark_before_a_spec_or_inputs_is_skipped() {
    let text = std::fs::read_to_string(DIAMOND).unwrap();
    let spec = TempFile::new("bom.json", &format!("\u{feff}{text}"));
    assert_ok(&asterism(&["check", spec.path()]));
    let inputs = TempFile::new("bom-inputs.json", &format!("\u{feff}{DIAMOND_INPUTS}"));
    let with_bom = asterism(&[
        "run",
        spec.path(),
        "--inputs",
        &format!("@{}", inputs.path()),
    ]);
    let plain = asterism(&["run", DIAMOND, "--inputs", DIAMOND_INPUTS]);
    assert_ok(&with_bom);
    assert_eq!(with_bom.json(), plain.json());
}

#[test]
fn files_past_their_size_limit_are_refused_naming_the_flag() {
    let out = asterism(&["check", DIAMOND, "--max-spec-bytes", "100"]);
    assert_rejected(
        &out,
        &[DIAMOND, "larger than 100 bytes", "--max-spec-bytes"],
    );
    let inputs = TempFile::new("inputs.json", DIAMOND_INPUTS);
    let at = format!("@{}", inputs.path());
    let out = asterism(&["run", DIAMOND, "--inputs", &at, "--max-input-bytes", "4"]);
    assert_rejected(&out, &["--max-input-bytes"]);
    let config = TempFile::new("config.toml", "[runtime.state]\nmutable = true\n");
    let out = asterism(&[
        "run",
        DIAMOND,
        "--inputs",
        DIAMOND_INPUTS,
        "--config",
        config.path(),
        "--max-config-bytes",
        "8",
    ]);
    assert_rejected(&out, &["--max-config-bytes"]);
    // Raised, the same files are fine.
    assert_ok(&asterism(&["check", DIAMOND, "--max-spec-bytes", "100000"]));
}

#[cfg(unix)]
#[test]
fn an_endless_file_ends_with_an_error() {
    let out = asterism(&["check", "/dev/zero", "--max-spec-bytes", "1000"]);
    assert_rejected(&out, &["/dev/zero", "larger than 1000 bytes"]);
    // Under the default limit too (256 MiB of zeros, then the error).
    let out = asterism(&["check", "/dev/zero"]);
    assert_rejected(&out, &["/dev/zero", "--max-spec-bytes"]);
}

#[test]
fn a_config_past_a_bound_is_an_error_naming_the_key() {
    let config = TempFile::new(
        "huge.toml",
        "[runtime.state.pooling]\nsize = 9223372036854775807\n",
    );
    let out = asterism(&[
        "run",
        DIAMOND,
        "--inputs",
        DIAMOND_INPUTS,
        "--config",
        config.path(),
    ]);
    assert_rejected(&out, &["runtime.state.pooling.size", "limit"]);
}

// ---------------------------------------------------------------------------
// The original's formats: PipelineImage, unions, records, unread inputs.
// ---------------------------------------------------------------------------

/// A pipeline that returns its input `v` (of type `ty`) as the output `v`.
fn echo_spec(ty: Value, extra_input: bool) -> String {
    let v = "00000000-0000-4000-8000-000000000001";
    let mut data = json!({v: {"name": "v", "nicknames": {v: "v"}, "cType": ty}});
    if extra_input {
        let u = "00000000-0000-4000-8000-000000000002";
        data[u] = json!({"name": "unused", "nicknames": {u: "unused"}, "cType": {"tag": "CInt"}});
    }
    json!({"metadata": {"name": "echo"}, "modules": {}, "data": data,
           "inEdges": [], "outEdges": [], "declaredOutputs": ["v"], "outputBindings": {"v": v}})
    .to_string()
}

fn conformance_pipeline(file: &str, test_prefix: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/conformance")
        .join(file);
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let case = doc["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["test"].as_str().unwrap().starts_with(test_prefix))
        .unwrap_or_else(|| panic!("no case `{test_prefix}` in {file}"));
    case["pipeline"].to_string()
}

#[test]
fn a_pipeline_image_is_detected_checked_and_run() {
    let image = TempFile::new(
        "image.json",
        &conformance_pipeline("pipeline_image.json", "PipelineImage"),
    );
    let out = asterism(&["check", image.path()]);
    assert_ok(&out);
    assert!(out.stdout.contains("pipeline `image` compiles"), "{out:#?}");
    let out = asterism(&["run", image.path(), "--inputs", r#"{"text": "abc"}"#]);
    assert_ok(&out);
    assert_eq!(out.json(), json!({"result": "ABC"}));
}

#[test]
fn a_branch_module_of_the_originals_compiler_runs() {
    let spec = TempFile::new(
        "branch.json",
        &conformance_pipeline(
            "synthetic_module_factory.json",
            "fromDagSpec should reconstruct a branch module that selects",
        ),
    );
    let inputs = r#"{"c0": false, "e0": "a", "c1": true, "e1": "b", "other": "c"}"#;
    let out = asterism(&["run", spec.path(), "--inputs", inputs]);
    assert_ok(&out);
    assert_eq!(out.json(), json!({"out": "b"}));
}

#[test]
fn an_input_nothing_reads_is_a_warning_in_check_and_still_runs() {
    let spec = TempFile::new("unread.json", &echo_spec(json!({"tag": "CInt"}), true));
    let out = asterism(&["check", spec.path()]);
    assert_eq!(out.code, 0, "{out:#?}");
    assert!(
        out.stderr.starts_with("warning: input `unused`")
            && out.stderr.contains("00000000-0000-4000-8000-000000000002"),
        "{out:#?}"
    );
    let out = asterism(&["run", spec.path(), "--inputs", r#"{"v": 1, "unused": 2}"#]);
    assert_ok(&out);
    assert_eq!(out.json(), json!({"v": 1}));
}

#[test]
fn unions_read_and_print_as_tag_and_value() {
    let ty = json!({"tag": "CUnion", "structure": {
        "point": {"tag": "CProduct", "structure": {"x": {"tag": "CInt"}, "y": {"tag": "CInt"}}},
        "label": {"tag": "CString"}}});
    let spec = TempFile::new("union.json", &echo_spec(ty, false));
    for inputs in [
        r#"{"v": {"tag": "point", "value": {"x": 1, "y": 2}}}"#,
        r#"{"v": {"x": 1, "y": 2, "z": 3}}"#,
    ] {
        let out = asterism(&["run", spec.path(), "--inputs", inputs]);
        assert_ok(&out);
        assert_eq!(
            out.json(),
            json!({"v": {"tag": "point", "value": {"x": 1, "y": 2}}})
        );
    }
}

#[test]
fn a_bad_value_deep_in_an_input_exits_1_naming_its_path() {
    let ty = json!({"tag": "CList", "valuesType":
        {"tag": "CProduct", "structure": {"x": {"tag": "CInt"}}}});
    let spec = TempFile::new("records.json", &echo_spec(ty, false));
    let out = asterism(&[
        "run",
        spec.path(),
        "--inputs",
        r#"{"v": [{"x": 1}, {"x": "one"}]}"#,
    ]);
    assert_rejected(&out, &["v[1].x: expected Int, found string"]);
    // Extra record fields: ignored, as the original does; refused with --strict.
    let extra = r#"{"v": [{"x": 1, "note": "hi"}]}"#;
    let out = asterism(&["run", spec.path(), "--inputs", extra]);
    assert_ok(&out);
    assert_eq!(out.json(), json!({"v": [{"x": 1}]}));
    let out = asterism(&["run", spec.path(), "--inputs", extra, "--strict"]);
    assert_rejected(&out, &["v[0].note: unexpected field"]);
}
