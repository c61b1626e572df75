//! The `asterism` binary on `.cst` programs: `run --example`, `check` with
//! diagnostics, `compile --emit dagspec|image`, and the round trip
//! `compile --emit dagspec` then `run` giving the outputs of running the
//! program directly.

use std::process::{Command, Stdio};

use serde_json::Value;

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

fn asterism(args: &[&str]) -> Out {
    let out = Command::new(env!("CARGO_BIN_EXE_asterism"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(args)
        .stdin(Stdio::null())
        .env_remove("RUST_BACKTRACE")
        .output()
        .expect("the binary starts");
    let out = Out {
        code: out.status.code().expect("an exit code"),
        stdout: String::from_utf8(out.stdout).expect("UTF-8"),
        stderr: String::from_utf8(out.stderr).expect("UTF-8"),
    };
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
    out
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}):\n{text}"))
}

fn temp_path(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("asterism-lang-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

#[test]
fn run_example_uses_the_example_inputs() {
    let out = asterism(&["run", "examples/hello.cst", "--example"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        json(&out.stdout),
        serde_json::json!({"trimmed_greeting": "Hello, Alice"})
    );
    let out = asterism(&["run", "examples/scoring.cst", "--example"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        json(&out.stdout),
        serde_json::json!({"total": 56, "qualified": true, "summary": "Acme Corp: score 56 (qualified)"})
    );
}

#[test]
fn run_with_inputs_and_check() {
    let out = asterism(&[
        "run",
        "examples/hello.cst",
        "--inputs",
        r#"{"name": "Bob "}"#,
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(json(&out.stdout)["trimmed_greeting"], "Hello, Bob");
    let out = asterism(&["check", "examples/hello.cst"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout.contains("pipeline `hello` compiles"),
        "{}",
        out.stdout
    );
}

#[test]
fn a_bad_program_gives_every_diagnostic_and_exit_1() {
    let path = temp_path("bad.cst");
    std::fs::write(&path, "in name: Strng\nx = conact(name)\nout x\n").unwrap();
    let p = path.to_str().unwrap();
    for cmd in ["check", "run", "compile"] {
        let out = asterism(&[cmd, p]);
        assert_eq!(out.code, 1, "{cmd}");
        assert!(out.stdout.is_empty(), "{cmd}: {}", out.stdout);
        assert!(out.stderr.contains("bad.cst:1:10"), "{}", out.stderr);
        assert!(
            out.stderr.contains("did you mean `String`?"),
            "{}",
            out.stderr
        );
        assert!(out.stderr.contains("bad.cst:2:5"), "{}", out.stderr);
        assert!(
            out.stderr.contains("did you mean `concat`?"),
            "{}",
            out.stderr
        );
        assert!(out.stderr.contains("2 errors"), "{}", out.stderr);
    }
}

#[test]
fn example_needs_a_cst_program() {
    let out = asterism(&["run", "examples/diamond.json", "--example"]);
    assert_eq!(out.code, 1);
    assert!(
        out.stderr.contains("`--example` needs a `.cst` program"),
        "{}",
        out.stderr
    );
    let out = asterism(&["compile", "examples/diamond.json"]);
    assert_eq!(out.code, 1);
}

#[test]
fn emitted_dagspec_runs_to_the_same_outputs() {
    let programs = [
        ("examples/hello.cst", r#"{"name": "Ada"}"#),
        (
            "examples/scoring.cst",
            r#"{"lead": {"name": "X", "visits": 1, "opens": 0, "employees": 10}, "threshold": 5}"#,
        ),
        (
            "lang/tests/programs/original/branch-expressions.cst",
            r#"{"priority": "low", "score": 42, "category": "billing"}"#,
        ),
        (
            "lang/tests/programs/original/guard-and-coalesce.cst",
            r#"{"score": 90, "threshold": 95, "enabled": false, "defaultMessage": "d"}"#,
        ),
        (
            "lang/tests/programs/original/string-interpolation.cst",
            r#"{"userName": "Zed", "userAge": 3, "accountBalance": -4}"#,
        ),
    ];
    for (i, (program, inputs)) in programs.iter().enumerate() {
        let direct = asterism(&["run", program, "--inputs", inputs]);
        assert_eq!(direct.code, 0, "{program}: {}", direct.stderr);
        let emitted = asterism(&["compile", program, "--emit", "dagspec"]);
        assert_eq!(emitted.code, 0, "{program}: {}", emitted.stderr);
        let spec = temp_path(&format!("spec{i}.json"));
        std::fs::write(&spec, &emitted.stdout).unwrap();
        let via_json = asterism(&["run", spec.to_str().unwrap(), "--inputs", inputs]);
        assert_eq!(via_json.code, 0, "{program}: {}", via_json.stderr);
        assert_eq!(json(&direct.stdout), json(&via_json.stdout), "{program}");
    }
}

#[test]
fn emit_image_has_the_original_shape() {
    let out = asterism(&["compile", "examples/resilient.cst", "--emit", "image"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let image = json(&out.stdout);
    for key in [
        "structuralHash",
        "syntacticHash",
        "dagSpec",
        "moduleOptions",
        "compiledAt",
    ] {
        assert!(image.get(key).is_some(), "no {key}");
    }
    let hash = image["structuralHash"].as_str().unwrap();
    assert_eq!(hash.len(), 64);
    assert!(hash.bytes().all(|b| b.is_ascii_hexdigit()));
    let options = image["moduleOptions"].as_object().unwrap();
    assert_eq!(options.len(), 2);
    for (module, o) in options {
        assert!(
            image["dagSpec"]["modules"].get(module).is_some(),
            "{module}"
        );
        assert!(o.is_object());
    }
    let trim = options
        .values()
        .find(|o| o.get("retry").is_some())
        .expect("trim's options");
    assert_eq!(trim["retry"], 2);
    assert_eq!(trim["timeoutMs"], 500);
    assert_eq!(trim["backoff"], "exponential");
    let again = json(&asterism(&["compile", "examples/resilient.cst", "--emit", "image"]).stdout);
    assert_eq!(again["structuralHash"], image["structuralHash"]);
    let at = image["compiledAt"].as_str().unwrap();
    assert!(
        at.len() >= 20 && at.ends_with('Z') && at.as_bytes()[10] == b'T',
        "{at}"
    );
}
