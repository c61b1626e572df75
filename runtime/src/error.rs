//! Errors of binding and running: typed, naming what is wrong and where.

use std::fmt;

use asterism_compiler::{plain::PlainJsonError, typecheck::TypeError, CType, NodeRef};

/// A problem with the inputs given to an execution. Nothing runs when any
/// input is wrong; every problem is reported at once.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InputError {
    /// A user input was not given.
    #[error("input `{name}` ({ty}) is missing; supply it")]
    Missing {
        /// The input.
        name: String,
        /// Its type.
        ty: CType,
    },
    /// An input the pipeline does not have.
    #[error("input `{name}` is not an input of this pipeline; its inputs are {known:?}")]
    Unexpected {
        /// The name given.
        name: String,
        /// The pipeline's inputs.
        known: Vec<String>,
    },
    /// An input of the wrong type.
    #[error("input `{name}` must be {expected}, but a {found} was given")]
    Mistyped {
        /// The input.
        name: String,
        /// Its type.
        expected: CType,
        /// The type of the value given.
        found: CType,
    },
    /// An input whose value is of its declared type on the outside but not
    /// inside: a list element, a record field or a carried type is wrong
    /// (a tagged `CList` declared `List<Int>` holding a String, say).
    #[error("input `{name}` is not a valid {expected}: {error}")]
    NotOfItsType {
        /// The input.
        name: String,
        /// Its type.
        expected: CType,
        /// Where in the value, and what is wrong.
        error: TypeError,
    },
    /// An input given twice.
    #[error("input `{name}` is given twice; give it once")]
    Duplicate {
        /// The input.
        name: String,
    },
    /// Plain JSON that does not decode.
    #[error("{0}")]
    Json(#[from] PlainJsonError),
    /// Input JSON that is not an object.
    #[error("inputs must be a JSON object of input name -> value, not {0}")]
    NotAnObject(&'static str),
}

/// Why an execution could not run. Module failures are not run errors:
/// they are in the [`ExecutionResult`](crate::ExecutionResult), with the
/// outputs that were computed.
#[derive(Debug, thiserror::Error)]
pub struct RunError {
    kind: RunErrorKind,
}

#[derive(Debug)]
enum RunErrorKind {
    Inputs(Vec<InputError>),
    NeedsAsyncRuntime,
}

impl RunError {
    pub(crate) fn inputs(errors: Vec<InputError>) -> Self {
        RunError {
            kind: RunErrorKind::Inputs(errors),
        }
    }

    pub(crate) fn needs_async() -> Self {
        RunError {
            kind: RunErrorKind::NeedsAsyncRuntime,
        }
    }

    /// Whether the inputs were wrong (nothing ran).
    pub fn is_invalid_input(&self) -> bool {
        matches!(self.kind, RunErrorKind::Inputs(_))
    }

    /// The input problems, if that is what this is.
    pub fn input_errors(&self) -> &[InputError] {
        match &self.kind {
            RunErrorKind::Inputs(e) => e,
            RunErrorKind::NeedsAsyncRuntime => &[],
        }
    }

    /// Whether `run_sync` was called on a program with async modules.
    pub fn needs_async_runtime(&self) -> bool {
        matches!(self.kind, RunErrorKind::NeedsAsyncRuntime)
    }
}

impl fmt::Display for RunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            RunErrorKind::Inputs(errors) => {
                write!(f, "the inputs have {} problem{}:", errors.len(), if errors.len() == 1 { "" } else { "s" })?;
                for e in errors {
                    write!(f, "\n  - {e}")?;
                }
                Ok(())
            }
            RunErrorKind::NeedsAsyncRuntime => f.write_str(
                "this program has async modules; run it with `run` inside a tokio runtime instead of `run_sync`",
            ),
        }
    }
}

/// One problem found while binding a plan to module implementations.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BindError {
    /// No implementation registered under the name the plan resolved.
    #[error("module node {node}: no implementation of `{module}` is registered; register one with Registry::register")]
    Missing {
        /// The module node.
        node: NodeRef,
        /// The module name.
        module: String,
    },
    /// The registered implementation's signature differs from the one the
    /// plan was compiled against.
    #[error("module node {node}: the registered `{module}` has a different signature than the plan was compiled with; recompile the spec against this registry")]
    SignatureChanged {
        /// The module node.
        node: NodeRef,
        /// The module name.
        module: String,
    },
    /// A module's call options are nonsense (the message names the node).
    #[error(transparent)]
    Options(#[from] crate::options::OptionError),
}

/// Every binding problem.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct BindErrors(pub Vec<BindError>);

impl fmt::Display for BindErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "binding found {} problem{}:",
            self.0.len(),
            if self.0.len() == 1 { "" } else { "s" }
        )?;
        for e in &self.0 {
            write!(f, "\n  - {e}")?;
        }
        Ok(())
    }
}
