//! The syntax tree of a `.cst` program, as the parser leaves it.
//!
//! Every node carries its [`Span`] (byte offsets into the source), so the
//! checker can point at what it rejects. The shapes follow the original's
//! `lang-ast` (`modules/lang-ast/.../AST.scala`): declarations (`type`, `in`,
//! assignments, `out`, `use`), type expressions, and expressions.
//!
//! Lambdas and `match` (issue #19) have their places reserved: the parser
//! recognises them and reports them as not supported yet, and
//! [`ExprKind`] is the enum they will join.

/// A byte range `start..end` in the source.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Span {
    /// First byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
}

impl Span {
    /// The span `start..end`.
    pub fn new(start: usize, end: usize) -> Self {
        Span { start, end }
    }

    /// The smallest span covering both.
    pub fn to(self, other: Span) -> Span {
        Span::new(self.start.min(other.start), self.end.max(other.end))
    }
}

/// A name and where it was written.
#[derive(Clone, Debug, PartialEq)]
pub struct Ident {
    /// The name.
    pub name: String,
    /// Where.
    pub span: Span,
}

/// A whole program: its declarations in source order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Program {
    /// The declarations.
    pub decls: Vec<Decl>,
    /// Names whose declarations failed to parse (already reported); the
    /// checker treats them as defined, so their uses add no noise.
    pub broken: Vec<String>,
    /// How many declarations failed to parse.
    pub failed: usize,
}

/// A top-level declaration.
#[derive(Clone, Debug, PartialEq)]
pub enum Decl {
    /// `type Name = <type>`.
    Type {
        /// The type's name.
        name: Ident,
        /// Its definition.
        def: TypeExpr,
    },
    /// `@example(v) in name: <type>`.
    Input {
        /// The input's name.
        name: Ident,
        /// Its type.
        ty: TypeExpr,
        /// `@example` values (the last one is the example input).
        examples: Vec<Expr>,
    },
    /// `name = <expr>`.
    Assign {
        /// The variable.
        name: Ident,
        /// Its value.
        value: Expr,
    },
    /// `out name`.
    Output {
        /// The variable declared as an output.
        name: Ident,
    },
    /// `use a.b` or `use a.b as c`.
    Use {
        /// The namespace path.
        path: QualifiedName,
        /// The alias, if any.
        alias: Option<Ident>,
    },
}

/// A dotted name (`stdlib.math.add`).
#[derive(Clone, Debug, PartialEq)]
pub struct QualifiedName {
    /// The parts, at least one.
    pub parts: Vec<String>,
    /// Where.
    pub span: Span,
}

impl QualifiedName {
    /// The parts joined by `.`.
    pub fn full(&self) -> String {
        self.parts.join(".")
    }

    /// The last part.
    pub fn local(&self) -> &str {
        self.parts.last().map_or("", String::as_str)
    }
}

/// A type expression.
#[derive(Clone, Debug, PartialEq)]
pub struct TypeExpr {
    /// What kind.
    pub kind: TypeExprKind,
    /// Where.
    pub span: Span,
}

/// The kinds of type expression.
#[derive(Clone, Debug, PartialEq)]
pub enum TypeExprKind {
    /// `Int`, `String`, or a declared type's name.
    Named(String),
    /// `List<T>`, `Optional<T>`, `Map<K, V>`, `Seq<T>`, `Candidates<T>`.
    Param(String, Vec<TypeExpr>),
    /// `{ a: Int, b: String }`.
    Record(Vec<(Ident, TypeExpr)>),
    /// `A + B`: the fields of both records (right wins).
    Merge(Box<TypeExpr>, Box<TypeExpr>),
    /// `A | B | C`.
    Union(Vec<TypeExpr>),
}

/// An expression.
#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    /// What kind.
    pub kind: ExprKind,
    /// Where.
    pub span: Span,
}

/// Binary operators. `+` is addition for numbers and merge for records;
/// the checker decides.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinOp {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
    /// `==`
    Eq,
    /// `!=`
    NotEq,
    /// `<`
    Lt,
    /// `>`
    Gt,
    /// `<=`
    LtEq,
    /// `>=`
    GtEq,
    /// `and`
    And,
    /// `or`
    Or,
}

impl BinOp {
    /// The operator as written.
    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Eq => "==",
            BinOp::NotEq => "!=",
            BinOp::Lt => "<",
            BinOp::Gt => ">",
            BinOp::LtEq => "<=",
            BinOp::GtEq => ">=",
            BinOp::And => "and",
            BinOp::Or => "or",
        }
    }
}

/// One argument of a call: positional, or named (`f(value: x)`, our
/// extension: the name is the module's parameter name).
#[derive(Clone, Debug, PartialEq)]
pub struct Arg {
    /// The parameter name, for a named argument.
    pub name: Option<Ident>,
    /// The value.
    pub value: Expr,
}

/// One `with` option: `retry: 3`, `timeout: 3s`, `lazy`, ...
#[derive(Clone, Debug, PartialEq)]
pub struct WithOption {
    /// The option's name.
    pub name: Ident,
    /// Its value.
    pub value: OptionValue,
    /// The whole option.
    pub span: Span,
}

/// The value of a `with` option, as written; the checker decides whether it
/// fits the option.
#[derive(Clone, Debug, PartialEq)]
pub enum OptionValue {
    /// No value (`lazy`).
    Flag,
    /// A whole number.
    Int(i64, Span),
    /// A duration, in milliseconds.
    Duration(i64, Span),
    /// `count/duration`: a count per so many milliseconds.
    Rate(i64, i64, Span),
    /// A bare word (`exponential`, `high`, `skip`, `true`).
    Word(Ident),
    /// A string.
    Str(String, Span),
    /// An expression (only `fallback` takes one).
    Expr(Expr),
}

/// The kinds of expression.
#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    /// A variable.
    Var(String),
    /// An Int literal.
    Int(i64),
    /// A Float literal.
    Float(f64),
    /// A String literal.
    Str(String),
    /// `true` / `false`.
    Bool(bool),
    /// `"a${x}b"`: `parts` has one more element than `exprs`.
    Interp {
        /// The literal text around the expressions.
        parts: Vec<String>,
        /// The interpolated expressions.
        exprs: Vec<Expr>,
    },
    /// `[a, b, c]`.
    List(Vec<Expr>),
    /// `{ a: x, b: y }`.
    Record(Vec<(Ident, Expr)>),
    /// A module call with optional `with` options.
    Call {
        /// The function's (possibly qualified) name.
        name: QualifiedName,
        /// The arguments.
        args: Vec<Arg>,
        /// The `with` options, in source order.
        options: Vec<WithOption>,
    },
    /// `e.field`.
    Field(Box<Expr>, Ident),
    /// `e[a, b]` or `e{a, b}`.
    Project(Box<Expr>, Vec<Ident>),
    /// A binary operator.
    Binary(BinOp, Box<Expr>, Box<Expr>),
    /// `not e`.
    Not(Box<Expr>),
    /// `if (c) a else b`.
    If(Box<Expr>, Box<Expr>, Box<Expr>),
    /// `e when c`.
    When(Box<Expr>, Box<Expr>),
    /// `a ?? b`.
    Coalesce(Box<Expr>, Box<Expr>),
    /// `branch { c1 -> e1, ..., otherwise -> e }`.
    Branch {
        /// Condition and value of each case, in order.
        cases: Vec<(Expr, Expr)>,
        /// The value when no condition holds.
        otherwise: Box<Expr>,
    },
    /// Where the parser gave up on an expression (already reported).
    Error,
}
