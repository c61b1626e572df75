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

use std::collections::{BTreeMap, HashMap};

use asterism_compiler::{CValue, ModuleCallOptions, Resolution, Signatures};

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
        if p.failed == 0 {
            for input in inputs.iter().filter(|i| !self.used.contains(&i.name)) {
                self.diags.push(unused_input(input));
            }
        }
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

    pub(crate) fn resolve_type(&mut self, t: &TypeExpr) -> Ty {
        crate::with_stack(|| self.resolve_type_inner(t))
    }

    fn resolve_type_inner(&mut self, t: &TypeExpr) -> Ty {
        match &t.kind {
            TypeExprKind::Named(n) => match n.as_str() {
                "String" => Ty::Str,
                "Int" => Ty::Int,
                "Float" => Ty::Float,
                "Boolean" => Ty::Bool,
                other => match self.types.get(other) {
                    Some(t) => t.clone(),
                    None => {
                        let mut names: Vec<&str> = vec!["String", "Int", "Float", "Boolean"];
                        names.extend(self.types.keys().map(String::as_str));
                        let mut d = err(
                            "E107",
                            format!("undefined type `{other}`"),
                            t.span,
                            "not a type",
                        );
                        d = match suggest(other, names) {
                            Some(s) => d.with_help(format!("did you mean `{s}`?")),
                            None => d.with_help(format!(
                                "define it above with `type {other} = {{ ... }}`"
                            )),
                        };
                        self.report(d)
                    }
                },
            },
            TypeExprKind::Param(n, params) => {
                let arity = match n.as_str() {
                    "List" | "Candidates" | "Seq" | "Optional" => 1,
                    "Map" => 2,
                    other => {
                        let mut d = err(
                            "E107",
                            format!("undefined type `{other}<...>`"),
                            t.span,
                            "not a generic type",
                        );
                        if let Some(s) =
                            suggest(other, ["List", "Seq", "Optional", "Map", "Candidates"])
                        {
                            d = d.with_help(format!("did you mean `{s}`?"));
                        }
                        return self.report(d);
                    }
                };
                if params.len() != arity {
                    return self.report(err(
                        "E108",
                        format!(
                            "`{n}` takes {arity} type parameter(s), got {}",
                            params.len()
                        ),
                        t.span,
                        "wrong number of parameters",
                    ));
                }
                let ps: Vec<Ty> = params.iter().map(|p| self.resolve_type(p)).collect();
                match n.as_str() {
                    "List" | "Candidates" => Ty::list(ps[0].clone()),
                    "Seq" => Ty::Seq(Box::new(ps[0].clone())),
                    "Optional" => Ty::optional(ps[0].clone()),
                    _ => Ty::Map(Box::new(ps[0].clone()), Box::new(ps[1].clone())),
                }
            }
            TypeExprKind::Record(fields) => {
                let mut m = BTreeMap::new();
                for (name, ft) in fields {
                    let ty = self.resolve_type(ft);
                    if m.insert(name.name.clone(), ty).is_some() {
                        self.diags.push(err(
                            "E109",
                            format!("the field `{}` appears twice", name.name),
                            name.span,
                            "again here",
                        ));
                    }
                }
                Ty::Record(m)
            }
            TypeExprKind::Merge(l, r) => {
                let (lt, rt) = (self.resolve_type(l), self.resolve_type(r));
                if lt.has_error() || rt.has_error() {
                    return Ty::Error;
                }
                match merge_types(&lt, &rt) {
                    Some(t) => t,
                    None => self.report(err(
                        "E110",
                        format!("cannot merge the types {lt} and {rt}"),
                        t.span,
                        "`+` on types merges records",
                    )),
                }
            }
            TypeExprKind::Union(members) => {
                Ty::union(members.iter().map(|m| self.resolve_type(m)).collect())
            }
        }
    }

    // ---- examples ----

    fn example(&mut self, e: &Expr, want: &Ty) -> Option<CValue> {
        let te = self.expr(e);
        if !is_constant(&te) {
            self.diags.push(
                err(
                    "E111",
                    "`@example` takes a constant value",
                    e.span,
                    "not a constant",
                )
                .with_help("write a literal: a number, string, boolean, list or record"),
            );
            return None;
        }
        if te.ty.has_error() {
            return None;
        }
        let inner_fits = matches!(want, Ty::Optional(inner) if te.ty.fits(inner));
        let member_fits = matches!(want, Ty::Union(ms) if ms.iter().any(|m| te.ty.fits(m)));
        if !te.ty.fits(want) && !inner_fits && !member_fits {
            self.diags.push(err(
                "E112",
                format!("the example is {}, but the input is {want}", te.ty),
                e.span,
                format!("expected {want}"),
            ));
            return None;
        }
        const_value(&te, want)
    }

    // ---- expressions ----

    fn expr(&mut self, e: &Expr) -> TExpr {
        crate::with_stack(|| self.expr_inner(e))
    }

    fn expr_inner(&mut self, e: &Expr) -> TExpr {
        let span = e.span;
        let mk = |kind: TKind, ty: Ty| TExpr { kind, ty, span };
        match &e.kind {
            ExprKind::Error => TExpr {
                kind: TKind::Lit(CValue::Boolean(false)),
                ty: Ty::Error,
                span,
            },
            ExprKind::Var(n) => match self.vars.get(n) {
                Some(t) => {
                    self.used.insert(n.clone());
                    mk(TKind::Var(n.clone()), t.clone())
                }
                None => {
                    let d = self.undefined(n, span);
                    self.error_expr(d, span)
                }
            },
            ExprKind::Int(v) => mk(TKind::Lit(CValue::Int(*v)), Ty::Int),
            ExprKind::Float(v) => mk(TKind::Lit(CValue::Float(*v)), Ty::Float),
            ExprKind::Str(s) => mk(TKind::Lit(CValue::String(s.clone())), Ty::Str),
            ExprKind::Bool(b) => mk(TKind::Lit(CValue::Boolean(*b)), Ty::Bool),
            ExprKind::Interp { parts, exprs } => {
                let es = exprs.iter().map(|x| self.expr(x)).collect();
                mk(TKind::Interp(parts.clone(), es), Ty::Str)
            }
            ExprKind::List(items) => {
                let es: Vec<TExpr> = items.iter().map(|x| self.expr(x)).collect();
                let mut elem = Ty::Nothing;
                for x in &es {
                    match common(&elem, &x.ty) {
                        Some(t) => elem = t,
                        None => {
                            self.diags.push(err(
                                "E113",
                                format!("list elements must have one type: {elem} and {}", x.ty),
                                x.span,
                                format!("this is {}", x.ty),
                            ));
                            elem = Ty::Error;
                        }
                    }
                }
                mk(TKind::List(es), Ty::list(elem))
            }
            ExprKind::Record(fields) => {
                let mut tys = BTreeMap::new();
                let mut es = Vec::new();
                for (name, v) in fields {
                    let te = self.expr(v);
                    if tys.insert(name.name.clone(), te.ty.clone()).is_some() {
                        self.diags.push(err(
                            "E109",
                            format!("the field `{}` appears twice", name.name),
                            name.span,
                            "again here",
                        ));
                    }
                    es.push((name.name.clone(), te));
                }
                mk(TKind::Record(es), Ty::Record(tys))
            }
            ExprKind::Call {
                name,
                args,
                options,
            } => self.call(name, args, options, span),
            ExprKind::Field(src, field) => {
                let s = self.expr(src);
                let ty = match &s.ty {
                    Ty::Error => Ty::Error,
                    Ty::Record(f) => match f.get(&field.name) {
                        Some(t) => t.clone(),
                        None => self.no_field(&field.name, f, field.span),
                    },
                    Ty::List(inner) | Ty::Seq(inner) => match &**inner {
                        Ty::Record(f) => match f.get(&field.name) {
                            Some(t) => Ty::list(t.clone()),
                            None => self.no_field(&field.name, f, field.span),
                        },
                        _ => self.not_record(&s, "`.field`"),
                    },
                    _ => self.not_record(&s, "`.field`"),
                };
                mk(TKind::Field(Box::new(s), field.name.clone()), ty)
            }
            ExprKind::Project(src, fields) => {
                let s = self.expr(src);
                let ty = match s.ty.record_fields() {
                    _ if s.ty == Ty::Error => Ty::Error,
                    None => self.not_record(&s, "a projection"),
                    Some(avail) => {
                        let avail = avail.clone();
                        let mut kept = BTreeMap::new();
                        let mut bad = false;
                        for f in fields {
                            match avail.get(&f.name) {
                                Some(t) => {
                                    kept.insert(f.name.clone(), t.clone());
                                }
                                None => {
                                    self.no_field(&f.name, &avail, f.span);
                                    bad = true;
                                }
                            }
                        }
                        if bad {
                            Ty::Error
                        } else {
                            match &s.ty {
                                Ty::List(_) => Ty::list(Ty::Record(kept)),
                                Ty::Seq(_) => Ty::Seq(Box::new(Ty::Record(kept))),
                                _ => Ty::Record(kept),
                            }
                        }
                    }
                };
                let names = fields.iter().map(|f| f.name.clone()).collect();
                mk(TKind::Project(Box::new(s), names), ty)
            }
            ExprKind::Binary(op, l, r) => self.binary(*op, l, r, span),
            ExprKind::Not(x) => {
                let t = self.expr(x);
                self.want_bool(&t, "`not`");
                mk(TKind::Not(Box::new(t)), Ty::Bool)
            }
            ExprKind::If(c, a, b) => {
                let c = self.expr(c);
                self.want_bool(&c, "the condition of `if`");
                let (a, b) = (self.expr(a), self.expr(b));
                let ty = match common(&a.ty, &b.ty) {
                    Some(t) => t,
                    None => self.report(
                        err(
                            "E114",
                            format!(
                                "the branches of `if` have different types: {} and {}",
                                a.ty, b.ty
                            ),
                            span,
                            "both branches must have one type",
                        )
                        .with_help("make both branches the same type"),
                    ),
                };
                let (a, b) = (retype(a, &ty), retype(b, &ty));
                mk(
                    TKind::Conditional(Box::new(c), Box::new(a), Box::new(b)),
                    ty,
                )
            }
            ExprKind::When(x, c) => {
                let x = self.expr(x);
                let c = self.expr(c);
                self.want_bool(&c, "the condition of `when`");
                let ty = if x.ty == Ty::Error {
                    Ty::Error
                } else {
                    Ty::optional(x.ty.clone())
                };
                mk(TKind::Guard(Box::new(x), Box::new(c)), ty)
            }
            ExprKind::Coalesce(l, r) => {
                let l = self.expr(l);
                let r = self.expr(r);
                let ty = match &l.ty {
                    Ty::Error => Ty::Error,
                    Ty::Optional(inner) => {
                        if r.ty.fits(inner) {
                            (**inner).clone()
                        } else if r.ty.fits(&l.ty) {
                            l.ty.clone()
                        } else {
                            self.report(err(
                                "E115",
                                format!(
                                    "the right side of `??` must be {inner} (or {}), got {}",
                                    l.ty, r.ty
                                ),
                                r.span,
                                format!("this is {}", r.ty),
                            ))
                        }
                    }
                    other => self.report(
                        err(
                            "E115",
                            format!("the left side of `??` must be Optional, got {other}"),
                            l.span,
                            "not optional",
                        )
                        .with_help("`a ?? b` unwraps an Optional; make `a` optional with `when`"),
                    ),
                };
                let r = retype(r, &ty);
                mk(TKind::Coalesce(Box::new(l), Box::new(r)), ty)
            }
            ExprKind::Branch { cases, otherwise } => {
                let mut tcases = Vec::new();
                for (c, v) in cases {
                    let c = self.expr(c);
                    self.want_bool(&c, "a branch condition");
                    tcases.push((c, self.expr(v)));
                }
                let o = self.expr(otherwise);
                let mut ty = o.ty.clone();
                for (_, v) in &tcases {
                    match common(&ty, &v.ty) {
                        Some(t) => ty = t,
                        None => {
                            ty = self.report(err(
                                "E114",
                                format!(
                                    "the cases of a branch have different types: {} and {ty}",
                                    v.ty
                                ),
                                v.span,
                                format!("this is {}", v.ty),
                            ));
                            break;
                        }
                    }
                }
                let tcases = tcases
                    .into_iter()
                    .map(|(c, v)| (c, retype(v, &ty)))
                    .collect();
                let o = retype(o, &ty);
                mk(TKind::Branch(tcases, Box::new(o)), ty)
            }
        }
    }

    fn no_field(&mut self, name: &str, fields: &BTreeMap<String, Ty>, span: Span) -> Ty {
        let mut d = err(
            "E116",
            format!("no field `{name}`"),
            span,
            "not a field of this record",
        );
        d = match suggest(name, fields.keys().map(String::as_str)) {
            Some(s) => d.with_help(format!("did you mean `{s}`?")),
            None => d.with_help(format!(
                "the fields are {}",
                fields.keys().cloned().collect::<Vec<_>>().join(", ")
            )),
        };
        self.report(d)
    }

    fn not_record(&mut self, s: &TExpr, what: &str) -> Ty {
        self.report(err(
            "E117",
            format!("{what} needs a record (or a list of records), got {}", s.ty),
            s.span,
            format!("this is {}", s.ty),
        ))
    }

    fn want_bool(&mut self, t: &TExpr, what: &str) {
        if !t.ty.fits(&Ty::Bool) {
            self.diags.push(err(
                "E118",
                format!("{what} must be Boolean, got {}", t.ty),
                t.span,
                format!("this is {}", t.ty),
            ));
        }
    }

    fn binary(&mut self, op: BinOp, l: &Expr, r: &Expr, span: Span) -> TExpr {
        let lt = self.expr(l);
        let rt = self.expr(r);
        let mk = |kind: TKind, ty: Ty| TExpr { kind, ty, span };
        if lt.ty == Ty::Error || rt.ty == Ty::Error {
            return mk(TKind::Lit(CValue::Boolean(false)), Ty::Error);
        }
        match op {
            BinOp::And | BinOp::Or => {
                self.want_bool(&lt, &format!("the left side of `{}`", op.symbol()));
                self.want_bool(&rt, &format!("the right side of `{}`", op.symbol()));
                let kind = if op == BinOp::And {
                    TKind::And(Box::new(lt), Box::new(rt))
                } else {
                    TKind::Or(Box::new(lt), Box::new(rt))
                };
                mk(kind, Ty::Bool)
            }
            BinOp::Add if lt.ty.is_mergeable() && rt.ty.is_mergeable() => {
                match merge_types(&lt.ty, &rt.ty) {
                    Some(t) => mk(TKind::Merge(Box::new(lt), Box::new(rt)), t),
                    None => {
                        let d = err(
                            "E119",
                            format!("cannot merge {} with {}", lt.ty, rt.ty),
                            span,
                            "incompatible merge",
                        );
                        self.error_expr(d, span)
                    }
                }
            }
            BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div => {
                let f = match op {
                    BinOp::Add => "add",
                    BinOp::Sub => "subtract",
                    BinOp::Mul => "multiply",
                    _ => "divide",
                };
                self.operator_call(op, f, lt, rt, span)
            }
            BinOp::Eq | BinOp::NotEq | BinOp::Lt | BinOp::Gt | BinOp::LtEq | BinOp::GtEq => {
                let f = match (op, &lt.ty) {
                    (BinOp::Eq | BinOp::NotEq, Ty::Int) => Some("eq-int"),
                    (BinOp::Eq | BinOp::NotEq, Ty::Str) => Some("eq-string"),
                    (BinOp::Lt, Ty::Int) => Some("lt"),
                    (BinOp::Gt, Ty::Int) => Some("gt"),
                    (BinOp::LtEq, Ty::Int) => Some("lte"),
                    (BinOp::GtEq, Ty::Int) => Some("gte"),
                    _ => None,
                };
                let f = match f {
                    Some(f) if lt.ty == rt.ty => f,
                    _ => {
                        let d = err(
                            "E120",
                            format!("cannot compare {} {} {}", lt.ty, op.symbol(), rt.ty),
                            span,
                            "unsupported comparison",
                        )
                        .with_help(match op {
                            BinOp::Eq | BinOp::NotEq => {
                                "`==` and `!=` compare two Ints or two Strings"
                            }
                            _ => "`<`, `>`, `<=` and `>=` compare two Ints",
                        });
                        return self.error_expr(d, span);
                    }
                };
                let call = self.operator_call(op, f, lt, rt, span);
                if op == BinOp::NotEq && call.ty != Ty::Error {
                    return mk(TKind::Not(Box::new(call)), Ty::Bool);
                }
                call
            }
        }
    }

    /// A stdlib call standing for an operator.
    fn operator_call(&mut self, op: BinOp, f: &str, l: TExpr, r: TExpr, span: Span) -> TExpr {
        let sig = match self.sigs.resolve(f) {
            Resolution::Found(s) => s.clone(),
            _ => {
                let d = err(
                    "E121",
                    format!(
                        "`{}` needs the stdlib function `{f}`, which is not registered",
                        op.symbol()
                    ),
                    span,
                    "no function for this operator",
                )
                .with_help("register the standard modules (Registry::with_stdlib)");
                return self.error_expr(d, span);
            }
        };
        let fits = sig.params.len() == 2
            && l.ty.fits(&Ty::from_ctype(&sig.params[0].ty))
            && r.ty.fits(&Ty::from_ctype(&sig.params[1].ty))
            && sig.outputs.len() == 1;
        if !fits {
            let params: Vec<String> = sig.params.iter().map(|p| p.ty.to_string()).collect();
            let mut d = err(
                "E122",
                format!("cannot apply `{}` to {} and {}", op.symbol(), l.ty, r.ty),
                span,
                format!("`{}` takes {}", sig.name, params.join(" and ")),
            );
            if op == BinOp::Add && l.ty == Ty::Str && r.ty == Ty::Str {
                d = d.with_help("join strings with `concat(a, b)` or `\"${a}${b}\"`");
            }
            return self.error_expr(d, span);
        }
        let out = Ty::from_ctype(&sig.outputs[0].ty);
        let args = vec![
            (
                sig.params[0].name.clone(),
                Ty::from_ctype(&sig.params[0].ty),
                l,
            ),
            (
                sig.params[1].name.clone(),
                Ty::from_ctype(&sig.params[1].ty),
                r,
            ),
        ];
        TExpr {
            kind: TKind::Call(Box::new(TCall {
                module: sig.name.clone(),
                written: f.to_owned(),
                args,
                outputs: vec![(sig.outputs[0].name.clone(), out.clone())],
                options: ModuleCallOptions::default(),
                fallback: None,
            })),
            ty: out,
            span,
        }
    }

    fn call(
        &mut self,
        name: &QualifiedName,
        args: &[Arg],
        options: &[WithOption],
        span: Span,
    ) -> TExpr {
        // Check the arguments first, so problems inside them are reported
        // even when the function is unknown.
        let checked: Vec<(Option<&Ident>, TExpr)> = args
            .iter()
            .map(|a| (a.name.as_ref(), self.expr(&a.value)))
            .collect();
        let mut parts = name.parts.clone();
        if parts.len() > 1 {
            if let Some(ns) = self.aliases.get(&parts[0]) {
                let mut full = ns.clone();
                full.extend(parts.drain(1..));
                parts = full;
            }
        }
        let full = parts.join(".");
        let sig = match self.sigs.resolve(&full) {
            Resolution::Found(s) => s.clone(),
            Resolution::NotFound => {
                let mut d = err(
                    "E123",
                    format!("unknown function `{}`", name.full()),
                    name.span,
                    "no module has this name",
                );
                let local = name.local();
                let shorts = self
                    .sigs
                    .iter()
                    .map(|s| s.name.rsplit('.').next().unwrap_or(&s.name));
                d = match suggest(local, shorts) {
                    Some(s) => d.with_help(format!("did you mean `{s}`?")),
                    None => d.with_help("register a module with this name before compiling"),
                };
                return self.error_expr(d, span);
            }
            Resolution::Ambiguous(c) => {
                let d = err(
                    "E124",
                    format!("`{}` could be any of {}", name.full(), c.join(", ")),
                    name.span,
                    "ambiguous name",
                )
                .with_help("write the full name");
                return self.error_expr(d, span);
            }
        };
        if sig.outputs.is_empty() {
            let d = err(
                "E125",
                format!("`{}` produces no output to use", sig.name),
                name.span,
                "no output",
            );
            return self.error_expr(d, span);
        }
        // Map arguments onto parameters.
        let n = sig.params.len();
        let mut slots: Vec<Option<TExpr>> = vec![None; n];
        let mut ok = true;
        let mut positional = 0;
        for (arg_name, te) in checked {
            let ix = match arg_name {
                None => {
                    let i = positional;
                    positional += 1;
                    if i >= n {
                        self.diags.push(
                            err(
                                "E126",
                                format!(
                                    "`{}` takes {n} argument{}, got more",
                                    name.full(),
                                    if n == 1 { "" } else { "s" }
                                ),
                                te.span,
                                "extra argument",
                            )
                            .with_help(format!("the parameters are {}", param_list(&sig))),
                        );
                        ok = false;
                        continue;
                    }
                    i
                }
                Some(id) => match sig.param_index(&id.name) {
                    Some(i) => i,
                    None => {
                        let mut d = err(
                            "E127",
                            format!("`{}` has no parameter `{}`", sig.name, id.name),
                            id.span,
                            "unknown parameter",
                        );
                        d = match suggest(&id.name, sig.params.iter().map(|p| p.name.as_str())) {
                            Some(s) => d.with_help(format!("did you mean `{s}`?")),
                            None => d.with_help(format!("the parameters are {}", param_list(&sig))),
                        };
                        self.diags.push(d);
                        ok = false;
                        continue;
                    }
                },
            };
            if slots[ix].is_some() {
                self.diags.push(err(
                    "E128",
                    format!("the parameter `{}` is given twice", sig.params[ix].name),
                    te.span,
                    "given again here",
                ));
                ok = false;
                continue;
            }
            slots[ix] = Some(te);
        }
        let mut targs = Vec::new();
        for (i, slot) in slots.into_iter().enumerate() {
            let p = &sig.params[i];
            let pty = Ty::from_ctype(&p.ty);
            match slot {
                None => {
                    if ok {
                        self.diags.push(
                            err(
                                "E129",
                                format!("`{}` is missing the argument `{}`", name.full(), p.name),
                                span,
                                format!("`{}: {}` not given", p.name, p.ty),
                            )
                            .with_help(format!("the parameters are {}", param_list(&sig))),
                        );
                    }
                    ok = false;
                }
                Some(te) => {
                    let te = self.coerce(
                        te,
                        &pty,
                        &format!("argument `{}` of `{}`", p.name, sig.name),
                    );
                    targs.push((p.name.clone(), pty, te));
                }
            }
        }
        let outputs: Vec<(String, Ty)> = sig
            .outputs
            .iter()
            .map(|o| (o.name.clone(), Ty::from_ctype(&o.ty)))
            .collect();
        let ty = if outputs.len() == 1 {
            outputs[0].1.clone()
        } else {
            Ty::Record(outputs.iter().cloned().collect())
        };
        let (opts, fallback) = self.options(options, &ty);
        if !ok {
            return TExpr {
                kind: TKind::Lit(CValue::Boolean(false)),
                ty: Ty::Error,
                span,
            };
        }
        TExpr {
            kind: TKind::Call(Box::new(TCall {
                module: sig.name.clone(),
                written: name.full(),
                args: targs,
                outputs,
                options: opts,
                fallback: fallback.map(Box::new),
            })),
            ty,
            span,
        }
    }

    /// Makes `te` fit `want`: as is, re-typed (an empty list), narrowed (a
    /// record with extra fields, projected), or reported.
    fn coerce(&mut self, te: TExpr, want: &Ty, what: &str) -> TExpr {
        if te.ty.fits(want) {
            return retype(te, want);
        }
        if te.ty.narrows_to(want) {
            let fields = want
                .record_fields()
                .map(|f| f.keys().cloned().collect())
                .unwrap_or_default();
            let span = te.span;
            return TExpr {
                kind: TKind::Project(Box::new(te), fields),
                ty: want.clone(),
                span,
            };
        }
        let d = err(
            "E130",
            format!("{what} expects {want}, got {}", te.ty),
            te.span,
            format!("this is {}", te.ty),
        );
        let span = te.span;
        self.error_expr(d, span)
    }

    fn options(&mut self, opts: &[WithOption], call_ty: &Ty) -> (ModuleCallOptions, Option<TExpr>) {
        let mut o = ModuleCallOptions::default();
        let mut fallback = None;
        let mut seen: HashMap<&str, Span> = HashMap::new();
        for opt in opts {
            let name = opt.name.name.as_str();
            if seen.insert(name, opt.span).is_some() {
                self.diags.push(err(
                    "E131",
                    format!("the option `{name}` is given twice"),
                    opt.span,
                    "given again here",
                ));
                continue;
            }
            let bad = |what: &str| -> Diagnostic {
                err(
                    "E132",
                    format!("`{name}` takes {what}"),
                    opt.span,
                    format!("not {what}"),
                )
            };
            let duration = |v: &OptionValue| match v {
                OptionValue::Duration(ms, _) => Ok(*ms),
                OptionValue::Int(n, _) => Err(bad("a duration").with_help(format!(
                    "add a unit: `{n}ms`, `{n}s`, `{n}min`, `{n}h` or `{n}d`"
                ))),
                _ => Err(bad("a duration such as `500ms` or `3s`")),
            };
            let word = |v: &OptionValue, choices: &[&str]| match v {
                OptionValue::Word(w) if choices.contains(&w.name.as_str()) => Ok(w.name.clone()),
                OptionValue::Word(w) => {
                    let mut d = bad(&format!("one of {}", choices.join(", ")));
                    if let Some(s) = suggest(&w.name, choices.iter().copied()) {
                        d = d.with_help(format!("did you mean `{s}`?"));
                    }
                    Err(d)
                }
                _ => Err(bad(&format!("one of {}", choices.join(", ")))),
            };
            let count = |v: &OptionValue, min: i64| match v {
                OptionValue::Int(n, _) if *n >= min => Ok(*n),
                _ => Err(bad(&format!("a whole number of at least {min}"))),
            };
            let result: Result<(), Diagnostic> = (|| {
                match name {
                    "retry" => o.retry = Some(count(&opt.value, 0)?),
                    "timeout" => o.timeout_ms = Some(duration(&opt.value)?),
                    "delay" => o.delay_ms = Some(duration(&opt.value)?),
                    "cache" => o.cache_ms = Some(duration(&opt.value)?),
                    "batch_timeout" => o.batch_timeout_ms = Some(duration(&opt.value)?),
                    "checkpoint" => o.checkpoint_ms = Some(duration(&opt.value)?),
                    "backoff" => {
                        o.backoff = Some(word(&opt.value, &["fixed", "linear", "exponential"])?)
                    }
                    "on_error" => {
                        o.on_error = Some(word(
                            &opt.value,
                            &["propagate", "fail", "skip", "log", "wrap"],
                        )?)
                    }
                    "cache_backend" => match &opt.value {
                        OptionValue::Str(s, _) => o.cache_backend = Some(s.clone()),
                        _ => return Err(bad("a string such as \"memory\"")),
                    },
                    "throttle" => match &opt.value {
                        OptionValue::Rate(n, per, _) if *n > 0 && *per > 0 => {
                            o.throttle_count = Some(*n);
                            o.throttle_per_ms = Some(*per);
                        }
                        _ => {
                            return Err(bad("a rate").with_help("write it as `10/1s` or `100/1min`"))
                        }
                    },
                    "concurrency" => o.concurrency = Some(count(&opt.value, 1)?),
                    "batch" => o.batch_size = Some(count(&opt.value, 1)?),
                    "lazy" => {
                        o.lazy_eval = Some(match &opt.value {
                            OptionValue::Flag => true,
                            v => word(v, &["true", "false"])? == "true",
                        })
                    }
                    "priority" => {
                        o.priority = Some(match &opt.value {
                            OptionValue::Int(n, _) => *n,
                            v => {
                                match word(v, &["critical", "high", "normal", "low", "background"])?
                                    .as_str()
                                {
                                    "critical" => 100,
                                    "high" => 75,
                                    "normal" => 50,
                                    "low" => 25,
                                    _ => 0,
                                }
                            }
                        })
                    }
                    "window" | "join" => {
                        let text = match &opt.value {
                            OptionValue::Str(s, _) => s.clone(),
                            OptionValue::Word(w) => w.name.clone(),
                            _ => return Err(bad("a window or join specification")),
                        };
                        if name == "window" {
                            o.window = Some(text);
                        } else {
                            o.join_strategy = Some(text);
                        }
                    }
                    "fallback" => {
                        if let OptionValue::Expr(e) = &opt.value {
                            let te = self.expr(e);
                            fallback = Some(self.coerce(te, call_ty, "`fallback`"));
                        }
                    }
                    _ => {}
                }
                Ok(())
            })();
            if let Err(d) = result {
                self.diags.push(d);
            }
            if matches!(opt.value, OptionValue::Flag) && name != "lazy" {
                self.diags.push(err(
                    "E132",
                    format!("`{name}` needs a value"),
                    opt.span,
                    format!("write `{name}: value`"),
                ));
            }
        }
        (o, fallback)
    }
}

fn unused_input(input: &Ident) -> Diagnostic {
    err(
        "E133",
        format!("the input `{}` is never used", input.name),
        input.span,
        "declared here, read nowhere",
    )
    .with_help(format!(
        "use it, return it with `out {}`, or remove it (a pipeline cannot take an input nothing reads)",
        input.name
    ))
}

fn param_list(sig: &asterism_compiler::ModuleSignature) -> String {
    sig.params
        .iter()
        .map(|p| format!("`{}: {}`", p.name, p.ty))
        .collect::<Vec<_>>()
        .join(", ")
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

fn is_constant(te: &TExpr) -> bool {
    match &te.kind {
        TKind::Lit(_) => true,
        TKind::List(items) => items.iter().all(is_constant),
        TKind::Record(fields) => fields.iter().all(|(_, v)| is_constant(v)),
        _ => false,
    }
}

/// The value of a constant expression, as a value of type `want`.
fn const_value(te: &TExpr, want: &Ty) -> Option<CValue> {
    if let Ty::Optional(inner) = want {
        if !te.ty.fits(want) || te.ty == Ty::Nothing {
            return const_value(te, inner).map(|v| CValue::some(v, inner.to_ctype()));
        }
    }
    Some(match (&te.kind, want) {
        (TKind::Lit(v), _) => v.clone(),
        (TKind::List(items), Ty::List(elem)) => CValue::list(
            items
                .iter()
                .map(|i| const_value(i, elem))
                .collect::<Option<Vec<_>>>()?,
            elem.to_ctype(),
        ),
        (TKind::Record(fields), Ty::Record(tys)) => {
            let values = fields
                .iter()
                .map(|(k, v)| Some((k.clone(), const_value(v, tys.get(k)?)?)))
                .collect::<Option<BTreeMap<_, _>>>()?;
            let structure = tys.iter().map(|(k, t)| (k.clone(), t.to_ctype())).collect();
            CValue::product(values, structure)
        }
        (_, Ty::Union(members)) => {
            let member = members.iter().find(|m| te.ty.fits(m))?;
            let v = const_value(te, member)?;
            let structure = want.to_ctype();
            let asterism_compiler::CType::Union(s) = structure else {
                return None;
            };
            CValue::union(v, s, member.to_string())
        }
        _ => return None,
    })
}
