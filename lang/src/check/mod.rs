//! The type checker: a parsed [`Program`] against [`Signatures`], to a
//! [`TProgram`] or every problem at once.
//!
//! It follows the original's `TypeChecker`: declarations in order, each name
//! visible after its declaration (a later assignment may shadow an earlier
//! name, as the original's examples do); calls resolved by the exact name,
//! then by the part after the last `.` (so `stdlib.math.add`, `m.add` after
//! `use stdlib.math as m`, and `add` all find `stdlib.add`); operators
//! desugared as the original does: `+ - * /` to `add`, `subtract`,
//! `multiply`, `divide` (or `+` to a merge when both sides are records),
//! `==` to `eq-int` / `eq-string`, `< > <= >=` to `lt`, `gt`, `lte`, `gte`,
//! `!=` to `not (a == b)`.
//!
//! A subexpression that fails gets the type [`Ty::Error`], which fits
//! everything, so one mistake gives one message.

use std::collections::HashMap;

use asterism_compiler::{CValue, Signatures};

mod calls;
mod examples;
mod expr;
mod types;

use crate::ast::*;
use crate::diag::{suggest, Diagnostic};
use crate::typed::{TCall, TDecl, TExpr, TKind, TProgram};
use crate::types::{merge_types, Ty};

/// The checker's state while it walks one program.
pub(crate) struct Checker<'a> {
    sigs: &'a Signatures,
    types: HashMap<String, Ty>,
    vars: HashMap<String, Ty>,
    aliases: HashMap<String, Vec<String>>,
    /// Names read so far (by expressions or `out`).
    used: std::collections::HashSet<String>,
    pub(crate) diags: Vec<Diagnostic>,
}

fn err(
    code: &'static str,
    msg: impl Into<String>,
    span: Span,
    label: impl Into<String>,
) -> Diagnostic {
    Diagnostic::new(code, msg, span, label)
}

impl<'a> Checker<'a> {
    pub(crate) fn new(sigs: &'a Signatures) -> Self {
        Checker {
            sigs,
            types: HashMap::new(),
            vars: HashMap::new(),
            aliases: HashMap::new(),
            used: std::collections::HashSet::new(),
            diags: Vec::new(),
        }
    }

    fn report(&mut self, d: Diagnostic) -> Ty {
        self.diags.push(d);
        Ty::Error
    }

    fn error_expr(&mut self, d: Diagnostic, span: Span) -> TExpr {
        self.diags.push(d);
        TExpr {
            kind: TKind::Lit(CValue::Boolean(false)),
            ty: Ty::Error,
            span,
        }
    }

    /// Checks a whole program.
    pub(crate) fn program(&mut self, p: &Program, end: usize) -> TProgram {
        let mut out = TProgram::default();
        let mut defined: HashMap<String, Span> = HashMap::new();
        let mut outputs: HashMap<String, Span> = HashMap::new();
        let mut inputs: Vec<Ident> = Vec::new();
        for name in &p.broken {
            self.vars.insert(name.clone(), Ty::Error);
        }
        for d in &p.decls {
            match d {
                Decl::Type { name, def } => {
                    let ty = self.resolve_type(def);
                    if self.types.contains_key(&name.name) || builtin_type(&name.name) {
                        self.diags.push(err(
                            "E101",
                            format!("the type `{}` is already defined", name.name),
                            name.span,
                            "defined again here",
                        ));
                    }
                    self.types.insert(name.name.clone(), ty);
                }
                Decl::Input { name, ty, examples } => {
                    let t = self.resolve_type(ty);
                    if let Some(prev) = defined.get(&name.name) {
                        let _ = prev;
                        self.diags.push(
                            err(
                                "E102",
                                format!("the input `{}` is declared twice", name.name),
                                name.span,
                                "declared again here",
                            )
                            .with_help("give each input its own name"),
                        );
                    }
                    defined.insert(name.name.clone(), name.span);
                    for ex in examples {
                        if let Some(v) = self.example(ex, &t) {
                            out.examples.retain(|(n, _)| n != &name.name);
                            out.examples.push((name.name.clone(), v));
                        }
                    }
                    self.vars.insert(name.name.clone(), t.clone());
                    self.used.remove(&name.name);
                    inputs.push(name.clone());
                    out.decls.push(TDecl::Input(name.name.clone(), t));
                }
                Decl::Assign { name, value } => {
                    let e = self.expr(value);
                    if let Some(i) = inputs.iter().position(|i| i.name == name.name) {
                        // The input is shadowed: it was used before, or never.
                        let input = inputs.remove(i);
                        if !self.used.contains(&input.name) {
                            self.diags.push(unused_input(&input));
                        }
                    }
                    defined.insert(name.name.clone(), name.span);
                    self.vars.insert(name.name.clone(), e.ty.clone());
                    out.decls.push(TDecl::Assign(name.name.clone(), e));
                }
                Decl::Output { name } => {
                    if !self.vars.contains_key(&name.name) {
                        let d = self.undefined(&name.name, name.span);
                        self.diags.push(d);
                    } else if outputs.contains_key(&name.name) {
                        self.diags.push(err(
                            "E103",
                            format!("`{}` is declared as an output twice", name.name),
                            name.span,
                            "declared again here",
                        ));
                    } else {
                        self.used.insert(name.name.clone());
                        outputs.insert(name.name.clone(), name.span);
                        out.outputs.push(name.name.clone());
                    }
                }
                Decl::Use { path, alias } => self.use_decl(path, alias.as_ref()),
            }
        }
        // An input nothing reads is accepted, as the original accepts it:
        // the compiler warns of it (`Plan::warnings`) and it stays an input.
        if out.outputs.is_empty()
            && !p.decls.iter().any(|d| matches!(d, Decl::Output { .. }))
            && p.failed == 0
        {
            self.diags.push(
                err(
                    "E104",
                    "the program declares no output",
                    Span::new(end, end),
                    "end of the program",
                )
                .with_help("declare what the pipeline returns with `out name`"),
            );
        }
        out
    }

    fn use_decl(&mut self, path: &QualifiedName, alias: Option<&Ident>) {
        let prefix = format!("{}.", path.full());
        let first = format!("{}.", path.parts[0]);
        let known = self
            .sigs
            .iter()
            .any(|s| s.name.starts_with(&prefix) || s.name.starts_with(&first));
        if !known {
            let mut spaces: Vec<&str> = self
                .sigs
                .iter()
                .filter_map(|s| s.name.split_once('.').map(|(a, _)| a))
                .collect();
            spaces.sort_unstable();
            spaces.dedup();
            let mut d = err(
                "E105",
                format!("unknown namespace `{}`", path.full()),
                path.span,
                "no module lives here",
            );
            if let Some(s) = suggest(&path.parts[0], spaces.iter().copied()) {
                d = d.with_help(format!("did you mean `{s}`?"));
            }
            self.diags.push(d);
            return;
        }
        if let Some(a) = alias {
            self.aliases.insert(a.name.clone(), path.parts.clone());
        }
    }

    fn undefined(&self, name: &str, span: Span) -> Diagnostic {
        let mut d = err(
            "E106",
            format!("undefined variable `{name}`"),
            span,
            "not defined before this line",
        );
        if let Some(s) = suggest(name, self.vars.keys().map(String::as_str)) {
            d = d.with_help(format!("did you mean `{s}`?"));
        } else {
            d = d.with_help(format!(
                "declare it with `in {name}: Type` or `{name} = ...` above"
            ));
        }
        d
    }

    // ---- types ----
}

fn unused_input(input: &Ident) -> Diagnostic {
    err(
        "E133",
        format!("the input `{}` is assigned before it is read", input.name),
        input.span,
        "declared here, then replaced unread",
    )
    .with_help(format!(
        "read it before `{}` is assigned, or give the new value another name",
        input.name
    ))
}

fn builtin_type(n: &str) -> bool {
    matches!(n, "String" | "Int" | "Float" | "Boolean")
}

/// The type both fit, if any.
fn common(a: &Ty, b: &Ty) -> Option<Ty> {
    if b.fits(a) && *a != Ty::Nothing && !matches!(a, Ty::List(x) if **x == Ty::Nothing) {
        Some(a.clone())
    } else if a.fits(b) {
        Some(b.clone())
    } else {
        None
    }
}

/// Gives an expression the wanted type when it fits it (an empty list
/// learns its element type).
fn retype(mut te: TExpr, want: &Ty) -> TExpr {
    if te.ty != Ty::Error && te.ty != *want && te.ty.fits(want) && !want.has_error() {
        te.ty = want.clone();
    }
    te
}
