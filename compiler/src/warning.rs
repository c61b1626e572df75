//! Compile warnings: things a spec does that run, but are likely mistakes.

use crate::plan::NodeRef;

/// Something that compiles and runs, but deserves a look.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CompileWarning {
    /// A user input that no module, transform or output reads. It stays an
    /// input (callers supply it; its value is unused), as the original runs
    /// such pipelines.
    #[error("input {data} is read by no module, transform or output; its value is unused (connect it or remove it)")]
    UnreadInput {
        /// The data node.
        data: NodeRef,
    },
}
