//! The conformance suite: the original's own test cases, written as
//! pipelines in its JSON, run here unchanged.
//!
//! Every `*.json` file under `tests/conformance/` names the original test
//! file it comes from (`source`) and holds `cases`, each citing the test it
//! reproduces (`test`). A case is a pipeline (a DagSpec or a PipelineImage,
//! in the original's JSON; transforms also carry our `inlineTransform` with
//! their parameters, which the original's JSON drops), plain JSON `inputs`,
//! and what must happen:
//!
//! - `outputs`: the run succeeds and these are its outputs (plain JSON,
//!   every declared output);
//! - `failed`: a node fails and its message contains this text (with
//!   `outputs`, the outputs that were still computed);
//! - `input_error`: the inputs are refused, the message naming the value's
//!   path;
//! - `compile_error`: the pipeline is refused;
//! - `warnings`: (optional) text each of the pipeline's warnings contains.
//!
//! `strict: true` decodes inputs in strict mode. `note` says where a case
//! had to differ from the original test (for instance, an output binding
//! added where the test read a node's state directly).
//!
//! All cases run; every failure is listed at the end, naming file and test.
//!
//! The files are written by two scripts (deterministic UUIDs, so a rerun
//! changes nothing): `tests/conformance/tools/stdlib_cases.py MIRROR DIR`
//! extracts the one-call programs of the original's stdlib tests from its
//! Scala sources (MIRROR: a git directory of the original);
//! `tests/conformance/tools/hand_cases.py DIR` holds the cases written by
//! hand. Edit the scripts, not the JSON.

use std::path::{Path, PathBuf};

use asterism::compiler::{image, plain};
use asterism::{Program, Registry, RuntimeConfig};
use serde_json::Value as Json;

fn case_files() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conformance");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("a readable directory entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    files
}

fn text_of(case: &Json, key: &str) -> Option<String> {
    case.get(key).and_then(Json::as_str).map(str::to_owned)
}

/// Runs one case; `Err` says what differed.
fn run_case(case: &Json) -> Result<(), String> {
    let pipeline = case.get("pipeline").ok_or("the case has no `pipeline`")?;
    let spec = image::read_pipeline(pipeline).map_err(|e| format!("pipeline unreadable: {e}"))?;
    let registry = Registry::with_stdlib();
    let compile_error = text_of(case, "compile_error");
    let program = match Program::load(&spec, &registry, &RuntimeConfig::default()) {
        Ok(p) => p,
        Err(e) => {
            let msg = e.to_string();
            return match compile_error {
                Some(want) if msg.contains(&want) => Ok(()),
                Some(want) => Err(format!("refused with `{msg}`, expected `{want}`")),
                None => Err(format!("refused: {msg}")),
            };
        }
    };
    if let Some(want) = compile_error {
        return Err(format!("compiled, expected the error `{want}`"));
    }
    if let Some(wanted) = case.get("warnings").and_then(Json::as_array) {
        let got: Vec<String> = program
            .plan()
            .warnings()
            .iter()
            .map(ToString::to_string)
            .collect();
        if got.len() != wanted.len()
            || !wanted
                .iter()
                .zip(&got)
                .all(|(w, g)| w.as_str().is_some_and(|w| g.contains(w)))
        {
            return Err(format!("warnings {got:?}, expected {wanted:?}"));
        }
    }
    let inputs = case
        .get("inputs")
        .cloned()
        .unwrap_or(Json::Object(Default::default()));
    let strict = case.get("strict").and_then(Json::as_bool) == Some(true);
    let decoded = if strict {
        program.decode_inputs_strict(&inputs)
    } else {
        program.decode_inputs(&inputs)
    };
    let input_error = text_of(case, "input_error");
    let values = match (decoded, input_error) {
        (Ok(v), None) => v,
        (Ok(_), Some(want)) => return Err(format!("inputs accepted, expected `{want}`")),
        (Err(e), Some(want)) if e.to_string().contains(&want) => return Ok(()),
        (Err(e), Some(want)) => {
            return Err(format!("inputs refused with `{e}`, expected `{want}`"))
        }
        (Err(e), None) => return Err(format!("inputs refused: {e}")),
    };
    let result = program
        .run_sync(values)
        .map_err(|e| format!("run refused: {e}"))?;
    let problems = result.problems();
    match text_of(case, "failed") {
        None if !problems.is_empty() => return Err(format!("nodes failed: {problems:?}")),
        Some(want) if !problems.iter().any(|p| p.contains(&want)) => {
            return Err(format!("problems {problems:?}, expected one with `{want}`"))
        }
        _ => {}
    }
    if let Some(Json::Object(expected)) = case.get("outputs") {
        let mut got = serde_json::Map::new();
        for (name, value) in result.outputs() {
            if let Some(v) = value {
                got.insert(name.to_owned(), plain::encode(v));
            }
        }
        if &got != expected {
            return Err(format!(
                "outputs {}, expected {}",
                Json::Object(got),
                Json::Object(expected.clone())
            ));
        }
    }
    Ok(())
}

#[test]
fn the_originals_cases_run_identically() {
    let mut failures = Vec::new();
    let mut count = 0;
    for file in case_files() {
        let text = std::fs::read_to_string(&file).expect("readable");
        let doc: Json = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{}: not JSON: {e}", file.display()));
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        assert!(
            doc.get("source").and_then(Json::as_str).is_some(),
            "{name}: no `source` naming the original test file"
        );
        let cases = doc["cases"].as_array().expect("`cases` is an array");
        assert!(!cases.is_empty(), "{name}: no cases");
        for case in cases {
            count += 1;
            let test = text_of(case, "test").expect("every case names its test");
            if let Err(why) = run_case(case) {
                failures.push(format!("{name}: {test}: {why}"));
            }
        }
    }
    assert!(count > 0, "no conformance cases found");
    assert!(
        failures.is_empty(),
        "{} of {count} conformance cases differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
