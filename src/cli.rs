//! The CLI's commands. Each returns the process exit code: 0 success, 1 bad
//! input of any kind (arguments, files, spec, inputs, config) or output that
//! could not be written, 2 a run in which a node failed.

use std::fmt::Write as _;
use std::io::Write as _;

use asterism::compiler::plain;
use asterism::runtime::options::bind as options;
use asterism::runtime::options::CacheBackends;
use asterism::runtime::{Config, NodeStatus};
use asterism::{DagSpec, ModuleIx, NodeIx, Plan, Program, RuntimeConfig};

use crate::OutputFormat;

fn read_file(path: &str, what: &str) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("cannot read {what} `{path}`: {e}"))
}

pub(crate) fn load_spec(file: &str) -> Result<DagSpec, String> {
    let text = read_file(file, "spec")?;
    DagSpec::from_json(&text).map_err(|e| {
        let what = match e.classify() {
            serde_json::error::Category::Data => "a valid DagSpec",
            _ => "valid JSON",
        };
        format!("`{file}` is not {what}: {e}")
    })
}

/// Writes to stderr, ignoring failure: there is nowhere left to report it,
/// and `eprint!` would panic.
fn to_stderr(text: &str) {
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
}

/// `asterism check FILE`.
pub(crate) fn check(file: &str) -> u8 {
    let spec = match load_spec(file) {
        Ok(s) => s,
        Err(e) => return fail(&e),
    };
    let registry = asterism::demo::registry();
    match registry.compile(&spec) {
        Ok(plan) => {
            let (errors, warnings) =
                options::check(&plan, &Default::default(), &CacheBackends::new());
            if !errors.is_empty() {
                let lines: Vec<String> = errors.iter().map(|e| format!("  {e}")).collect();
                return fail(&format!(
                    "{file}: module call options: {} problem(s)\n{}",
                    errors.len(),
                    lines.join("\n")
                ));
            }
            let mut text = summary(file, &plan);
            for w in &warnings {
                let _ = writeln!(text, "  warning: {w}");
            }
            match std::io::stdout().lock().write_all(text.as_bytes()) {
                Ok(()) => 0,
                Err(e) => fail(&format!("cannot write the summary to stdout: {e}")),
            }
        }
        Err(errors) => fail(&format!("{file}: {errors}")),
    }
}

pub(crate) fn fail(message: &str) -> u8 {
    to_stderr(&format!("error: {}\n", message.trim_end()));
    1
}

/// The one-screen summary of a plan.
fn summary(file: &str, plan: &Plan) -> String {
    let mut s = String::new();
    let name = if plan.name().is_empty() {
        "(unnamed)"
    } else {
        plan.name()
    };
    let _ = writeln!(s, "{file}: pipeline `{name}` compiles");
    let _ = writeln!(
        s,
        "  modules: {}   transforms: {}   data nodes: {}   depth: {}",
        plan.module_count(),
        plan.transform_count(),
        plan.slot_count(),
        plan.depth()
    );
    let _ = writeln!(s, "  inputs:");
    for d in plan.inputs() {
        let _ = writeln!(s, "    {}: {}", d.name, d.ty);
    }
    let _ = writeln!(s, "  outputs:");
    for d in plan.outputs() {
        let _ = writeln!(s, "    {}: {}", d.name, plan.slot_type(d.slot));
    }
    let _ = writeln!(s, "  modules:");
    for m in (0..plan.module_count() as u32).map(ModuleIx) {
        let sig = plan.module_signature(m);
        let params: Vec<String> = sig
            .params
            .iter()
            .map(|p| format!("{}: {}", p.name, p.ty))
            .collect();
        let _ = writeln!(
            s,
            "    {} -> {} ({})",
            plan.module_name(m),
            sig.name,
            params.join(", ")
        );
        if let Some(o) = plan.module_options(m) {
            let json = serde_json::to_string(o).unwrap_or_default();
            let _ = writeln!(s, "      options: {json}");
        }
    }
    s
}

/// `asterism run FILE --inputs JSON`.
pub(crate) fn run(
    file: &str,
    inputs: &str,
    timings: bool,
    format: OutputFormat,
    config: Option<&str>,
    dot: Option<&str>,
) -> u8 {
    let config = match config {
        None => RuntimeConfig::default(),
        Some(path) => match read_file(path, "config")
            .and_then(|t| Config::from_toml(&t).map_err(|e| format!("{path}: {e}")))
        {
            Ok(c) => c.runtime,
            Err(e) => return fail(&e),
        },
    };
    let spec = match load_spec(file) {
        Ok(s) => s,
        Err(e) => return fail(&e),
    };
    let program = match Program::load(&spec, &asterism::demo::registry(), &config) {
        Ok(p) => p,
        Err(e) => return fail(&format!("{file}: {e}")),
    };
    let input_text = match inputs.strip_prefix('@') {
        Some("") => return fail("`--inputs @` needs a file path after the `@`"),
        Some(path) => match read_file(path, "inputs") {
            Ok(t) => t,
            Err(e) => return fail(&e),
        },
        None => inputs.to_owned(),
    };
    let json: serde_json::Value = match serde_json::from_str(&input_text) {
        Ok(j) => j,
        Err(e) => return fail(&format!("the inputs are not valid JSON: {e}")),
    };
    let values = match program.decode_inputs(&json) {
        Ok(v) => v,
        Err(e) => return fail(&e.to_string()),
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => return fail(&format!("cannot start the async runtime: {e}")),
    };
    runtime.block_on(async {
        let result = match program.run(values).await {
            Ok(r) => r,
            Err(e) => return fail(&e.to_string()),
        };
        let mut out = serde_json::Map::new();
        for (name, value) in result.outputs() {
            let v = match (value, format) {
                (None, _) => serde_json::Value::Null,
                (Some(v), OutputFormat::Plain) => plain::encode(v),
                (Some(v), OutputFormat::Tagged) => {
                    serde_json::to_value(v).unwrap_or(serde_json::Value::Null)
                }
            };
            out.insert(name.to_owned(), v);
        }
        let text =
            serde_json::to_string_pretty(&serde_json::Value::Object(out)).unwrap_or_default();
        let written = writeln!(std::io::stdout().lock(), "{text}");
        if timings {
            to_stderr(&timing_table(&result));
        }
        let picture = dot.map(|path| crate::cli_dot::write_run_picture(path, &result));
        let problems = result.problems();
        for p in &problems {
            to_stderr(&format!("error: {p}\n"));
        }
        // Outputs that never reached stdout are bad whatever else happened.
        if let Err(e) = written {
            fail(&format!("cannot write the outputs to stdout: {e}"))
        } else if let Some(Err(e)) = picture {
            fail(&e)
        } else if problems.is_empty() {
            0
        } else {
            2
        }
    })
}

fn timing_table(result: &asterism::ExecutionResult<'_>) -> String {
    let plan = result.plan();
    let mut s = String::new();
    let _ = writeln!(s, "{:<32} {:<10} {:>12}", "module", "status", "latency");
    for m in (0..plan.module_count() as u32).map(ModuleIx) {
        let n: NodeIx = plan.module_node(m);
        let status = match result.status(n) {
            NodeStatus::Completed { .. } => "fired",
            NodeStatus::Failed(_) => "failed",
            NodeStatus::TimedOut(_) => "timed out",
            NodeStatus::Skipped { .. } => "skipped",
            NodeStatus::Cancelled => "cancelled",
            NodeStatus::Waiting | NodeStatus::Running => "unfired",
        };
        let latency = result.module_latency(m).map_or_else(
            || "-".to_owned(),
            |l| {
                if l.as_micros() < 1_000 {
                    format!("{:.2} µs", l.as_secs_f64() * 1e6)
                } else {
                    format!("{:.3} ms", l.as_secs_f64() * 1e3)
                }
            },
        );
        let _ = write!(
            s,
            "{:<32} {:<10} {:>12}",
            plan.module_name(m),
            status,
            latency
        );
        // What a module's call options did (modules with options only).
        if let Some(o) = result.call_outcome(m) {
            let _ = write!(s, "  {} attempt(s)", o.attempts);
            if o.from_cache {
                let _ = write!(s, ", from cache");
            }
            if o.from_fallback {
                let _ = write!(s, ", from fallback");
            }
            if let Some(e) = &o.last_error {
                let _ = write!(s, ", last error: {e}");
            }
        }
        let _ = writeln!(s);
    }
    let _ = writeln!(
        s,
        "total: {:.3} ms",
        result.total_latency().as_secs_f64() * 1e3
    );
    s
}
