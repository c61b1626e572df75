//! `asterism dot FILE` and `asterism run FILE --dot PATH`: pictures of a
//! pipeline from the command line (the drawing itself is the library's,
//! [`asterism::viz`]).

use std::io::Write as _;

use asterism::viz::{Format, Picture};
use asterism::ExecutionResult;
use clap::ValueEnum;

use crate::cli::{fail, load_spec, Limits};

/// Picture formats on the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum PictureFormat {
    /// Graphviz DOT (render with `dot -Tsvg`).
    Dot,
    /// A Mermaid flowchart, for Markdown pages.
    Mermaid,
}

impl From<PictureFormat> for Format {
    fn from(f: PictureFormat) -> Format {
        match f {
            PictureFormat::Dot => Format::Dot,
            PictureFormat::Mermaid => Format::Mermaid,
        }
    }
}

/// `asterism dot FILE [--format dot|mermaid]`: the pipeline's picture on
/// stdout. Exit 1 if the spec does not load or compile, or stdout fails.
pub(crate) fn dot(file: &str, format: PictureFormat, limits: Limits) -> u8 {
    let spec = match load_spec(file, limits.spec) {
        Ok(s) => s,
        Err(e) => return fail(&e),
    };
    let stdlib = asterism::demo::registry();
    let registry = asterism::runtime::branch::with_branch_modules(&stdlib, &spec);
    let plan = match registry.compile(&spec) {
        Ok(p) => p,
        Err(errors) => return fail(&format!("{file}: {errors}")),
    };
    let text = Picture::of_plan(&plan).render(format.into());
    match std::io::stdout().lock().write_all(text.as_bytes()) {
        Ok(()) => 0,
        Err(e) => fail(&format!("cannot write the picture to stdout: {e}")),
    }
}

/// The format a `--dot` path asks for: Mermaid for a `.mmd` file, else DOT.
fn format_for(path: &str) -> Format {
    let mermaid = std::path::Path::new(path)
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("mmd"));
    if mermaid {
        Format::Mermaid
    } else {
        Format::Dot
    }
}

/// `run --dot PATH`: writes the run's picture, statuses coloured, to `path`.
pub(crate) fn write_run_picture(path: &str, result: &ExecutionResult<'_>) -> Result<(), String> {
    let text = Picture::of_run(result).render(format_for(path));
    std::fs::write(path, text).map_err(|e| format!("cannot write the picture to `{path}`: {e}"))
}
