//! Type expressions to types: primitives, declared names, `List`/`Seq`/
//! `Optional`/`Map`, records, `+` on record types, unions.

use std::collections::BTreeMap;

use super::*;

impl Checker<'_> {
    pub(crate) fn resolve_type(&mut self, t: &TypeExpr) -> Ty {
        crate::with_stack(|| self.resolve_type_inner(t))
    }

    pub(super) fn resolve_type_inner(&mut self, t: &TypeExpr) -> Ty {
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
}
