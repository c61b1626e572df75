//! The CLI's commands. Each returns the process exit code: 0 success, 1 bad
//! input of any kind (arguments, files, spec, inputs, config) or output that
//! could not be written, 2 a run in which a node failed.

use std::fmt::Write as _;
use std::io::Write as _;

use asterism::compiler::{image, plain, strict};
use asterism::runtime::branch::with_branch_modules;
use asterism::runtime::options::bind as options;
use asterism::runtime::{Config, NodeStatus};
use asterism::{DagSpec, ModuleIx, NodeIx, Plan, Program, RuntimeConfig};

use crate::OutputFormat;

/// How many bytes the CLI reads from each kind of file at most.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Limits {
    /// The spec (`--max-spec-bytes`).
    pub spec: u64,
    /// An inputs file (`--max-input-bytes`).
    pub inputs: u64,
    /// The config file (`--max-config-bytes`).
    pub config: u64,
}

/// Reads at most `limit` bytes of `path` as UTF-8; a longer file (or an
/// endless one, `/dev/zero`) is an error naming the flag that raises it.
pub(crate) fn read_file(path: &str, what: &str, limit: u64, flag: &str) -> Result<String, String> {
    use std::io::Read as _;
    let cannot = |e: std::io::Error| format!("cannot read {what} `{path}`: {e}");
    let too_big = || {
        format!("{what} `{path}` is larger than {limit} bytes, the limit; raise it with {flag} if it is meant to be this big")
    };
    let file = std::fs::File::open(path).map_err(cannot)?;
    // A regular file says its size: refuse before reading.
    if file
        .metadata()
        .is_ok_and(|m| m.is_file() && m.len() > limit)
    {
        return Err(too_big());
    }
    let mut bytes = Vec::new();
    file.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(cannot)?;
    if bytes.len() as u64 > limit {
        return Err(too_big());
    }
    String::from_utf8(bytes).map_err(|e| {
        format!(
            "{what} `{path}` is not UTF-8 text (invalid byte at offset {})",
            e.utf8_error().valid_up_to()
        )
    })
}

/// Reads a DagSpec or a PipelineImage (told apart by the image's
/// `dagSpec` field), strictly: a key given twice anywhere is refused.
pub(crate) fn load_spec(file: &str, limit: u64) -> Result<DagSpec, String> {
    load_spec_with(file, limit, crate::cli_lang::BranchMode::default())
}

/// Reads a spec: DagSpec JSON, or a `.cst` program compiled on the way.
pub(crate) fn load_spec_with(
    file: &str,
    limit: u64,
    branch: crate::cli_lang::BranchMode,
) -> Result<DagSpec, String> {
    if crate::cli_lang::is_cst(file) {
        let text = read_file(file, "program", limit, "--max-spec-bytes")?;
        return crate::cli_lang::load_spec(file, &text, branch);
    }
    let text = read_file(file, "spec", limit, "--max-spec-bytes")?;
    let json = strict::parse_json(&text).map_err(|e| match e.classify() {
        serde_json::error::Category::Data => format!("`{file}` is not a valid DagSpec: {e}"),
        _ => format!("`{file}` is not valid JSON: {e}"),
    })?;
    image::read_pipeline(&json).map_err(|e| format!("`{file}` is {e}"))
}

/// Writes to stderr, ignoring failure: there is nowhere left to report it,
/// and `eprint!` would panic.
fn to_stderr(text: &str) {
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
}

/// `asterism check FILE`.
pub(crate) fn check(file: &str, limits: Limits, branch: crate::cli_lang::BranchMode) -> u8 {
    let spec = match load_spec_with(file, limits.spec, branch) {
        Ok(s) => s,
        Err(e) => return fail(&e),
    };
    let base = asterism::demo::registry();
    let registry = with_branch_modules(&base, &spec);
    match registry.compile(&spec) {
        Ok(plan) => {
            for w in plan.warnings() {
                to_stderr(&format!("warning: {w}\n"));
            }
            let (errors, warnings) =
                options::check(&plan, &Default::default(), registry.cache_backends());
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

/// `asterism run FILE --inputs JSON` (or `--example` for a `.cst`
/// program's `@example` inputs).
// One argument per flag of `asterism run`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn run(
    file: &str,
    inputs: &str,
    timings: bool,
    format: OutputFormat,
    config: Option<&str>,
    strict: bool,
    dot: Option<&str>,
    limits: Limits,
    lang: crate::cli_lang::LangRun,
) -> u8 {
    let crate::cli_lang::LangRun { example, branch } = lang;
    let config = match config {
        None => RuntimeConfig::default(),
        Some(path) => match read_file(path, "config", limits.config, "--max-config-bytes")
            .and_then(|t| Config::from_toml(&t).map_err(|e| format!("{path}: {e}")))
        {
            Ok(c) => c.runtime,
            Err(e) => return fail(&e),
        },
    };
    let config = for_one_run(config);
    let spec = match load_spec_with(file, limits.spec, branch) {
        Ok(s) => s,
        Err(e) => return fail(&e),
    };
    let example_inputs;
    let inputs = if example {
        example_inputs = match crate::cli_lang::example_inputs(file, limits.spec, branch) {
            Ok(j) => j,
            Err(e) => return fail(&e),
        };
        example_inputs.as_str()
    } else {
        inputs
    };
    let program = match Program::load(&spec, &asterism::demo::registry(), &config) {
        Ok(p) => p,
        Err(e) => return fail(&format!("{file}: {e}")),
    };
    let input_text = match inputs.strip_prefix('@') {
        Some("") => return fail("`--inputs @` needs a file path after the `@`"),
        Some(path) => match read_file(path, "inputs", limits.inputs, "--max-input-bytes") {
            Ok(t) => t,
            Err(e) => return fail(&e),
        },
        None => inputs.to_owned(),
    };
    let json = match asterism::compiler::strict::parse_json(&input_text) {
        Ok(j) => j,
        Err(e) => return fail(&format!("the inputs are not valid JSON: {e}")),
    };
    let decoded = if strict {
        program.decode_inputs_strict(&json)
    } else {
        program.decode_inputs(&json)
    };
    let values = match decoded {
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

/// The configuration for the CLI's one execution: whatever the file says,
/// no states are built ahead of use (the run builds the one it needs), so
/// memory is one state's worth, not `initial-capacity` of them.
fn for_one_run(mut config: RuntimeConfig) -> RuntimeConfig {
    config.state.initial_capacity = 0;
    config
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_run_builds_no_state_ahead_of_use() {
        let config = for_one_run(RuntimeConfig::default());
        assert_eq!(config.state.initial_capacity, 0);
        let spec = asterism::DagSpec::from_json(
            &std::fs::read_to_string(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/examples/diamond.json"
            ))
            .unwrap(),
        )
        .unwrap();
        let program = Program::load(&spec, &asterism::Registry::with_stdlib(), &config).unwrap();
        assert_eq!(program.pool().stats().prewarmed, 0);
        let defaults = Program::load(
            &spec,
            &asterism::Registry::with_stdlib(),
            &RuntimeConfig::default(),
        )
        .unwrap();
        assert_eq!(
            defaults.pool().stats().prewarmed,
            32,
            "the default prewarms"
        );
    }
}
