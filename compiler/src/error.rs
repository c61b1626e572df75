//! Compile errors: every problem of a spec, each naming its node and saying
//! what to do.

use std::fmt;

use uuid::Uuid;

use crate::plan::NodeRef;
use crate::value::CType;

/// One problem found while compiling a spec.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CompileError {
    /// No registered module matches a module node's name.
    #[error("module node {node}: no module named `{wanted}` is registered (nor one whose short name is `{short}`); register it or fix the name")]
    UnknownModule {
        /// The module node.
        node: NodeRef,
        /// The name asked for.
        wanted: String,
        /// The part after the last `.`.
        short: String,
    },
    /// Several registered modules share the short name asked for.
    #[error("module node {node}: `{wanted}` is ambiguous; it could be any of {candidates:?}; use the full name")]
    AmbiguousModule {
        /// The module node.
        node: NodeRef,
        /// The name asked for.
        wanted: String,
        /// The registered names that match.
        candidates: Vec<String>,
    },
    /// An edge names a node the spec does not have.
    #[error("{list}[{index}] names {role} {uuid}, which is not in the spec's `{table}`; add the node or remove the edge")]
    EdgeToUnknownNode {
        /// `inEdges` or `outEdges`.
        list: &'static str,
        /// The edge's position.
        index: usize,
        /// `"data node"` or `"module"`.
        role: &'static str,
        /// `"data"` or `"modules"`.
        table: &'static str,
        /// The missing UUID.
        uuid: Uuid,
    },
    /// One UUID names both a module node and a data node.
    #[error("UUID {uuid} names both module node `{module}` and data node `{data}`; give each node its own UUID")]
    UuidReused {
        /// The shared UUID.
        uuid: Uuid,
        /// The module node's name.
        module: String,
        /// The data node's name.
        data: String,
    },
    /// Two producers for one data node.
    #[error("data node {data} is produced twice: by {first} and by {second}; a data node has one producer")]
    ProducedTwice {
        /// The data node.
        data: NodeRef,
        /// One producer.
        first: NodeRef,
        /// The other.
        second: NodeRef,
    },
    /// A data node touches a module without saying which port it plays.
    #[error("data node {data} is connected to module {module} but has no nickname for it; add `nicknames[\"{}\"]` naming the module's {port_kind}", module.uuid)]
    MissingNickname {
        /// The data node.
        data: NodeRef,
        /// The module.
        module: NodeRef,
        /// `"parameter"` or `"output field"`.
        port_kind: &'static str,
    },
    /// A nickname names a port the module lacks.
    #[error("data node {data} plays `{port}` for module {module}, which has no {port_kind} `{port}`; it has: {available:?}")]
    UnknownPort {
        /// The data node.
        data: NodeRef,
        /// The module.
        module: NodeRef,
        /// The nickname.
        port: String,
        /// `"parameter"` or `"output field"`.
        port_kind: &'static str,
        /// The module's ports of that kind.
        available: Vec<String>,
    },
    /// Two data nodes bound to the same port of a module.
    #[error("module {module}: {port_kind} `{port}` is bound twice, to {first} and to {second}; bind it once")]
    PortBoundTwice {
        /// The module.
        module: NodeRef,
        /// The port.
        port: String,
        /// `"parameter"` or `"output field"`.
        port_kind: &'static str,
        /// One data node.
        first: NodeRef,
        /// The other.
        second: NodeRef,
    },
    /// A module parameter with no input.
    #[error("module {module}: parameter `{param}` ({ty}) has no input; add an inEdge from a data node nicknamed `{param}`")]
    MissingParameter {
        /// The module.
        module: NodeRef,
        /// The unbound parameter.
        param: String,
        /// Its type.
        ty: CType,
    },
    /// A data node's type differs from the port it plays.
    #[error("data node {data} has type {found} but plays `{port}` of module {module}, which is {expected}; make the types equal")]
    TypeMismatch {
        /// The data node.
        data: NodeRef,
        /// The module.
        module: NodeRef,
        /// The port.
        port: String,
        /// The port's type.
        expected: CType,
        /// The data node's type.
        found: CType,
    },
    /// A module node declares (in `consumes` / `produces`) a port the bound
    /// module does not have.
    #[error("module node {module} declares {port_kind} `{port}` ({declared}), but the module it binds to, `{bound}`, has no such {port_kind}; it has {available:?}; fix the declaration or the module name")]
    UndeclaredPort {
        /// The module node.
        module: NodeRef,
        /// The registered module the node binds to.
        bound: String,
        /// The declared port.
        port: String,
        /// `"parameter"` or `"output field"`.
        port_kind: &'static str,
        /// The declared type.
        declared: CType,
        /// The module's ports of that kind.
        available: Vec<String>,
    },
    /// A module node declares a port with a type the bound module's
    /// signature does not allow (only the original's subtyping is).
    #[error("module node {module} declares {port_kind} `{port}` as {declared}, but the module it binds to, `{bound}`, has it as {actual}; declare {actual} (or a type the subtyping rules allow)")]
    DeclarationMismatch {
        /// The module node.
        module: NodeRef,
        /// The registered module the node binds to.
        bound: String,
        /// The port.
        port: String,
        /// `"parameter"` or `"output field"`.
        port_kind: &'static str,
        /// The type the node declares.
        declared: CType,
        /// The type in the module's signature.
        actual: CType,
    },
    /// A transform that cannot be built.
    #[error("transform node {data}: {problem}")]
    BadTransform {
        /// The transform's data node.
        data: NodeRef,
        /// What is wrong and what to do.
        problem: String,
    },
    /// A transform input the transform needs is not given.
    #[error("transform node {data} ({kind}): input `{input}` is missing from transformInputs; it needs {expected:?}")]
    TransformInputMissing {
        /// The transform's data node.
        data: NodeRef,
        /// The transform kind.
        kind: &'static str,
        /// The missing input.
        input: String,
        /// All inputs it needs.
        expected: Vec<String>,
    },
    /// A transform input the transform does not take.
    #[error("transform node {data} ({kind}): input `{input}` is not one it takes; it takes {expected:?}")]
    TransformInputUnknown {
        /// The transform's data node.
        data: NodeRef,
        /// The transform kind.
        kind: &'static str,
        /// The unexpected input.
        input: String,
        /// All inputs it takes.
        expected: Vec<String>,
    },
    /// A transform input names a data node the spec lacks.
    #[error("transform node {data}: input `{input}` names data node {uuid}, which is not in the spec; fix transformInputs")]
    TransformInputUnknownNode {
        /// The transform's data node.
        data: NodeRef,
        /// The input.
        input: String,
        /// The missing UUID.
        uuid: Uuid,
    },
    /// A declared output with no binding.
    #[error(
        "output `{output}` is declared but has no entry in outputBindings; bind it to a data node"
    )]
    OutputUnbound {
        /// The output.
        output: String,
    },
    /// An output bound to a data node the spec lacks.
    #[error("output `{output}` is bound to {uuid}, which is not a data node of the spec; fix outputBindings")]
    OutputToUnknownNode {
        /// The output.
        output: String,
        /// The missing UUID.
        uuid: Uuid,
    },
    /// Two user inputs share a name, so callers could not tell them apart.
    #[error("user inputs {first} and {second} share the name `{}`; rename one", first.name)]
    DuplicateInputName {
        /// One input node.
        first: NodeRef,
        /// The other.
        second: NodeRef,
    },
    /// The graph has a cycle.
    #[error(
        "cycle: {}; break it so that no node depends on itself",
        CyclePath(path)
    )]
    Cycle {
        /// The nodes along the cycle, first node repeated at the end.
        path: Vec<NodeRef>,
    },
}

struct CyclePath<'a>(&'a [NodeRef]);

impl fmt::Display for CyclePath<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, n) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(" -> ")?;
            }
            write!(f, "{n}")?;
        }
        Ok(())
    }
}

/// Every problem of a spec, in a stable order.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct CompileErrors(pub Vec<CompileError>);

impl CompileErrors {
    /// The problems.
    pub fn errors(&self) -> &[CompileError] {
        &self.0
    }
}

impl fmt::Display for CompileErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0.len();
        writeln!(
            f,
            "the spec has {n} problem{}:",
            if n == 1 { "" } else { "s" }
        )?;
        for (i, e) in self.0.iter().enumerate() {
            writeln!(f, "  {}. {e}", i + 1)?;
        }
        Ok(())
    }
}
