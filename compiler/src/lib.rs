//! # asterism-compiler
//!
//! The compile step of asterism: a pipeline arrives as a [`DagSpec`] (the
//! original runtime's JSON, UUIDs and names), and leaves as a [`Plan`]: dense
//! `u32` indices and flat arrays, so that an execution never hashes.
//!
//! - [`value`]: [`CType`] and [`CValue`] in the original's tagged JSON;
//!   [`plain`]: plain JSON decoded against a type.
//! - [`spec`]: [`DagSpec`] and its parts; [`builder`]: build one in code.
//! - [`transform`]: inline transforms as data, with their semantics.
//! - [`signature`]: what the compiler knows of modules, and name resolution.
//! - [`strict`]: JSON read strictly (no duplicate keys, a BOM skipped).
//! - [`typecheck`]: whether a value is of a type, subtyping, transform
//!   typing: the one type check every path uses.
//! - [`image`]: the original's `PipelineImage`, read and written; [`jvm`]:
//!   numbers as the JVM prints and rounds them.
//! - [`compile()`]: validation (every problem, each naming its node) and the
//!   [`Plan`].
//!
//! ```
//! use asterism_compiler::{compile, CType, DagBuilder, ModuleSignature, Signatures};
//! let sigs: Signatures = [ModuleSignature::new(
//!     "stdlib.negate", [("value", CType::Int)], [("out", CType::Int)],
//! )].into_iter().collect();
//! let mut b = DagBuilder::new("neg");
//! let x = b.input("x", CType::Int);
//! let m = b.module("stdlib.negate");
//! b.bind(x, m, "value");
//! let y = b.produce(m, "out", "y", CType::Int);
//! b.output("y", y);
//! let plan = compile(&b.build(), &sigs).unwrap();
//! assert_eq!(plan.module_count(), 1);
//! assert!(plan.input("x").is_some());
//! ```
#![warn(missing_docs)]

pub mod builder;
mod compile;
pub mod error;
pub mod ids;
pub mod image;
pub mod jvm;
mod numbering;
pub mod options;
pub mod plain;
pub mod plan;
pub mod signature;
pub mod spec;
pub mod strict;
pub mod subtype;
pub mod transform;
mod transform_eval;
mod transform_lists;
pub mod typecheck;
pub mod value;
mod value_serde;

pub use builder::{DagBuilder, DataKey, ModuleKey};
pub use compile::compile;
pub use error::{CompileError, CompileErrors};
pub use ids::{InputIx, ModuleIx, NodeIx, OutputIx, SlotIx, TransformIx};
pub use image::PipelineImage;
pub use options::{wrapped_type, ModuleCallOptions};
pub use plan::{
    CompileWarning, InputDecl, NodeKind, NodeRef, OutputDecl, Plan, Producer, UNBOUND_SLOT,
};
pub use signature::{ModuleSignature, Port, Resolution, Signatures};
pub use spec::{ComponentMetadata, DagSpec, DataNodeSpec, ModuleConfig, ModuleNodeSpec};
pub use transform::{InlineTransform, TransformError};
pub use value::{CType, CValue, Structure};
