//! `@example` values: constant expressions of the input's type, turned
//! into values.

use std::collections::BTreeMap;

use asterism_compiler::CValue;

use super::*;

impl Checker<'_> {
    pub(super) fn example(&mut self, e: &Expr, want: &Ty) -> Option<CValue> {
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
