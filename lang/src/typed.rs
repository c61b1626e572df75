//! The checked program: what the checker hands to lowering.
//!
//! Every expression has its type, every call its resolved module and its
//! arguments in parameter order, every operator its desugared form (a
//! stdlib call or an inline transform). Lowering only builds nodes; it
//! decides nothing.

use asterism_compiler::{CValue, ModuleCallOptions};

use crate::ast::Span;
use crate::types::Ty;

/// A checked expression.
#[derive(Clone, Debug, PartialEq)]
pub struct TExpr {
    /// What it computes.
    pub kind: TKind,
    /// Its type.
    pub ty: Ty,
    /// Where it was written.
    pub span: Span,
}

/// A checked module call.
#[derive(Clone, Debug, PartialEq)]
pub struct TCall {
    /// The module's registered name (`stdlib.add`).
    pub module: String,
    /// The name as written (`add`, `m.add`), used for node names.
    pub written: String,
    /// Arguments in the module's parameter order: (parameter, its type, value).
    pub args: Vec<(String, Ty, TExpr)>,
    /// Output fields and their types, in order.
    pub outputs: Vec<(String, Ty)>,
    /// The call's options (`fallback` is set by lowering).
    pub options: ModuleCallOptions,
    /// The `fallback:` value.
    pub fallback: Option<Box<TExpr>>,
}

/// What a checked expression computes.
#[derive(Clone, Debug, PartialEq)]
pub enum TKind {
    /// A variable's value.
    Var(String),
    /// A constant.
    Lit(CValue),
    /// A list literal.
    List(Vec<TExpr>),
    /// A record literal (fields in source order).
    Record(Vec<(String, TExpr)>),
    /// String interpolation.
    Interp(Vec<String>, Vec<TExpr>),
    /// A module call.
    Call(Box<TCall>),
    /// `e.field`.
    Field(Box<TExpr>, String),
    /// `e[a, b]`, also used to narrow a record to a parameter's fields.
    Project(Box<TExpr>, Vec<String>),
    /// `a + b` on records.
    Merge(Box<TExpr>, Box<TExpr>),
    /// `if (c) a else b`.
    Conditional(Box<TExpr>, Box<TExpr>, Box<TExpr>),
    /// `e when c`.
    Guard(Box<TExpr>, Box<TExpr>),
    /// `a ?? b`.
    Coalesce(Box<TExpr>, Box<TExpr>),
    /// `a and b`.
    And(Box<TExpr>, Box<TExpr>),
    /// `a or b`.
    Or(Box<TExpr>, Box<TExpr>),
    /// `not e` (and `!=`, as `not (a == b)`).
    Not(Box<TExpr>),
    /// `branch { ... }`.
    Branch(Vec<(TExpr, TExpr)>, Box<TExpr>),
}

/// One checked declaration that lowering acts on.
#[derive(Clone, Debug, PartialEq)]
pub enum TDecl {
    /// An input: name and type.
    Input(String, Ty),
    /// `name = value`.
    Assign(String, TExpr),
}

/// A checked program.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TProgram {
    /// Inputs and assignments, in source order.
    pub decls: Vec<TDecl>,
    /// Declared outputs, in order.
    pub outputs: Vec<String>,
    /// Each input's `@example` value, in input order.
    pub examples: Vec<(String, CValue)>,
}
