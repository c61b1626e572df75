//! Expressions: literals, variables, records and lists, field access and
//! projection, `if`, `when`, `??`, `branch`, and operators (desugared to
//! stdlib calls, or to merge and boolean transforms).

use std::collections::BTreeMap;

use asterism_compiler::{CValue, ModuleCallOptions, Resolution};

use super::*;

impl Checker<'_> {
    pub(super) fn expr(&mut self, e: &Expr) -> TExpr {
        crate::with_stack(|| self.expr_inner(e))
    }

    pub(super) fn expr_inner(&mut self, e: &Expr) -> TExpr {
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

    pub(super) fn no_field(&mut self, name: &str, fields: &BTreeMap<String, Ty>, span: Span) -> Ty {
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

    pub(super) fn not_record(&mut self, s: &TExpr, what: &str) -> Ty {
        self.report(err(
            "E117",
            format!("{what} needs a record (or a list of records), got {}", s.ty),
            s.span,
            format!("this is {}", s.ty),
        ))
    }

    pub(super) fn want_bool(&mut self, t: &TExpr, what: &str) {
        if !t.ty.fits(&Ty::Bool) {
            self.diags.push(err(
                "E118",
                format!("{what} must be Boolean, got {}", t.ty),
                t.span,
                format!("this is {}", t.ty),
            ));
        }
    }

    pub(super) fn binary(&mut self, op: BinOp, l: &Expr, r: &Expr, span: Span) -> TExpr {
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
    pub(super) fn operator_call(
        &mut self,
        op: BinOp,
        f: &str,
        l: TExpr,
        r: TExpr,
        span: Span,
    ) -> TExpr {
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
}
