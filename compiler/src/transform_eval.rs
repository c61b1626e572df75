//! The semantics of inline transforms: [`InlineTransform::apply`], a pure
//! function over [`CValue`]s that the runtime calls, following the original
//! (reference page, section 2), and the text form string interpolation
//! shows.

use std::collections::BTreeMap;

use crate::transform::{InlineTransform, TransformError};
use crate::value::{CType, CValue, Structure};

fn terr<T>(msg: impl Into<String>) -> Result<T, TransformError> {
    Err(TransformError(msg.into()))
}

impl InlineTransform {
    /// Computes the transform's value. `input(i)` is the value of input `i`
    /// in [`input_names`](Self::input_names) order; `out_type` is the node's
    /// declared type, used to type empty containers.
    pub fn apply<'a, F>(&self, input: F, out_type: &CType) -> Result<CValue, TransformError>
    where
        F: Fn(usize) -> &'a CValue,
    {
        match self {
            InlineTransform::Merge => merge(input(0), input(1)),
            InlineTransform::Project { fields } => project(fields, input(0)),
            InlineTransform::FieldAccess { field } => field_access(field, input(0), out_type),
            InlineTransform::Conditional => match input(0) {
                CValue::Boolean(true) => Ok(input(1).clone()),
                CValue::Boolean(false) => Ok(input(2).clone()),
                other => terr(format!(
                    "Conditional: cond is {}, not a Boolean",
                    other.tag()
                )),
            },
            InlineTransform::Guard => match input(1) {
                CValue::Boolean(true) => {
                    let v = input(0);
                    Ok(CValue::some(v.clone(), inner_of(out_type, v)))
                }
                CValue::Boolean(false) => Ok(CValue::none(inner_of(out_type, input(0)))),
                other => terr(format!("Guard: cond is {}, not a Boolean", other.tag())),
            },
            InlineTransform::Coalesce => match input(0) {
                CValue::Some(v, _) => Ok((**v).clone()),
                CValue::None(_) => Ok(input(1).clone()),
                other => terr(format!(
                    "Coalesce: left is {}, not an Optional",
                    other.tag()
                )),
            },
            InlineTransform::And => Ok(CValue::Boolean(
                boolean("And", input(0))? && boolean("And", input(1))?,
            )),
            InlineTransform::Or => Ok(CValue::Boolean(
                boolean("Or", input(0))? || boolean("Or", input(1))?,
            )),
            InlineTransform::Not => Ok(CValue::Boolean(!boolean("Not", input(0))?)),
            InlineTransform::Literal { value } => Ok(value.clone()),
            InlineTransform::StringInterpolation { parts } => {
                let mut out = String::new();
                for (i, part) in parts.iter().enumerate() {
                    out.push_str(part);
                    if i + 1 < parts.len() {
                        show(input(i), &mut out);
                    }
                }
                Ok(CValue::String(out))
            }
            InlineTransform::ListLiteral { len } => {
                let values: Vec<CValue> = (0..*len).map(|i| input(i).clone()).collect();
                let elem = match out_type {
                    CType::List(e) | CType::Seq(e) => (**e).clone(),
                    _ => values.first().map_or(CType::String, CValue::ctype),
                };
                Ok(CValue::list(values, elem))
            }
            InlineTransform::RecordBuild { fields } => {
                let values: BTreeMap<String, CValue> = fields
                    .iter()
                    .enumerate()
                    .map(|(i, f)| (f.clone(), input(i).clone()))
                    .collect();
                let structure = match out_type {
                    CType::Product(s) => s.clone(),
                    _ => values.iter().map(|(k, v)| (k.clone(), v.ctype())).collect(),
                };
                Ok(CValue::product(values, structure))
            }
            InlineTransform::Collect => Ok(crate::transform_lists::collect(input(0), out_type)),
            InlineTransform::Interleave => {
                crate::transform_lists::interleave(input(0), input(1), out_type)
                    .map_err(TransformError)
            }
            InlineTransform::Zip => {
                crate::transform_lists::zip(input(0), input(1), out_type).map_err(TransformError)
            }
        }
    }
}

fn inner_of(out_type: &CType, v: &CValue) -> CType {
    match out_type {
        CType::Optional(t) => (**t).clone(),
        _ => v.ctype(),
    }
}

fn boolean(kind: &str, v: &CValue) -> Result<bool, TransformError> {
    v.as_bool()
        .ok_or_else(|| TransformError(format!("{kind}: operand is {}, not a Boolean", v.tag())))
}

/// Appends the text form of `v`, as the original's string interpolation
/// shows it: `None` as nothing, floats as Java prints them (`3.0`), lists
/// as `[1, 2, 3]`, records and maps as `{a: 1, b: x}` (strings unquoted,
/// fields in name order), a union as its `(tag,value)` pair.
pub(crate) fn show(v: &CValue, out: &mut String) {
    use std::fmt::Write;
    fn items<'a>(out: &mut String, it: impl Iterator<Item = (Option<&'a CValue>, &'a CValue)>) {
        for (i, (key, v)) in it.enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            if let Some(k) = key {
                show(k, out);
                out.push_str(": ");
            }
            show(v, out);
        }
    }
    match v {
        CValue::String(s) => out.push_str(s),
        CValue::Int(i) => {
            let _ = write!(out, "{i}");
        }
        CValue::Float(f) => out.push_str(&crate::jvm::double_to_string(*f)),
        CValue::Boolean(b) => {
            let _ = write!(out, "{b}");
        }
        CValue::Some(inner, _) => show(inner, out),
        CValue::None(_) => {}
        CValue::List(vs, _) | CValue::Seq(vs, _) => {
            out.push('[');
            items(out, vs.iter().map(|v| (None, v)));
            out.push(']');
        }
        CValue::Product(fields, _) => {
            out.push('{');
            for (i, (k, v)) in fields.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(k);
                out.push_str(": ");
                show(v, out);
            }
            out.push('}');
        }
        CValue::Map(entries, _, _) => {
            out.push('{');
            items(out, entries.iter().map(|(k, v)| (Some(k), v)));
            out.push('}');
        }
        CValue::Union(inner, _, tag) => {
            out.push('(');
            out.push_str(tag);
            out.push(',');
            show(inner, out);
            out.push(')');
        }
    }
}

fn merge_records(
    l: &BTreeMap<String, CValue>,
    ls: &Structure,
    r: &BTreeMap<String, CValue>,
    rs: &Structure,
) -> CValue {
    let mut values = l.clone();
    let mut structure = ls.clone();
    values.extend(r.iter().map(|(k, v)| (k.clone(), v.clone())));
    structure.extend(rs.iter().map(|(k, v)| (k.clone(), v.clone())));
    CValue::product(values, structure)
}

fn merge(l: &CValue, r: &CValue) -> Result<CValue, TransformError> {
    let seq = matches!(l, CValue::Seq(..)) || matches!(r, CValue::Seq(..));
    match (l, r) {
        (CValue::Product(lv, ls), CValue::Product(rv, rs)) => Ok(merge_records(lv, ls, rv, rs)),
        (CValue::List(lv, _) | CValue::Seq(lv, _), CValue::List(rv, _) | CValue::Seq(rv, _)) => {
            if lv.len() != rv.len() {
                return terr(format!(
                    "Merge: lists of different lengths ({} and {}) cannot merge element-wise",
                    lv.len(),
                    rv.len()
                ));
            }
            let merged = lv
                .iter()
                .zip(rv)
                .map(|(a, b)| merge(a, b))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(list_of(merged, l, r, seq))
        }
        (CValue::List(lv, _) | CValue::Seq(lv, _), rec @ CValue::Product(..)) => {
            let merged = lv
                .iter()
                .map(|a| merge(a, rec))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(list_of(merged, l, r, seq))
        }
        (rec @ CValue::Product(..), CValue::List(rv, _) | CValue::Seq(rv, _)) => {
            let merged = rv
                .iter()
                .map(|b| merge(rec, b))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(list_of(merged, l, r, seq))
        }
        // The original's fallback: the right side wins.
        _ => Ok(r.clone()),
    }
}

/// A list of merged records, typed by merging the element types.
fn list_of(values: Vec<CValue>, l: &CValue, r: &CValue, seq: bool) -> CValue {
    fn record_type(v: &CValue) -> Structure {
        match v {
            CValue::Product(_, s) => (**s).clone(),
            CValue::List(_, elem) | CValue::Seq(_, elem) => match &**elem {
                CType::Product(s) => s.clone(),
                _ => Structure::new(),
            },
            _ => Structure::new(),
        }
    }
    let mut s = record_type(l);
    s.extend(record_type(r));
    if seq {
        CValue::seq(values, CType::Product(s))
    } else {
        CValue::list(values, CType::Product(s))
    }
}

/// The named fields of a record (fields it lacks are left out, as the
/// original does), mapped over lists and sequences; any other value passes
/// through unchanged.
fn project(fields: &[String], v: &CValue) -> Result<CValue, TransformError> {
    match v {
        CValue::Product(values, structure) => {
            let mut out = BTreeMap::new();
            let mut st = Structure::new();
            for f in fields {
                if let (Some(val), Some(ty)) = (values.get(f), structure.get(f)) {
                    out.insert(f.clone(), val.clone());
                    st.insert(f.clone(), ty.clone());
                }
            }
            Ok(CValue::product(out, st))
        }
        CValue::List(items, elem) | CValue::Seq(items, elem) => {
            let projected = items
                .iter()
                .map(|i| project(fields, i))
                .collect::<Result<Vec<_>, _>>()?;
            let elem = match &**elem {
                CType::Product(s) => CType::Product(
                    s.iter()
                        .filter(|(k, _)| fields.contains(k))
                        .map(|(k, t)| (k.clone(), t.clone()))
                        .collect(),
                ),
                other => other.clone(),
            };
            Ok(match v {
                CValue::Seq(..) => CValue::seq(projected, elem),
                _ => CValue::list(projected, elem),
            })
        }
        other => Ok(other.clone()),
    }
}

fn field_access(field: &str, v: &CValue, out_type: &CType) -> Result<CValue, TransformError> {
    match v {
        CValue::Product(values, _) => values.get(field).cloned().ok_or_else(|| {
            TransformError(format!("FieldAccess: the record has no field `{field}`"))
        }),
        CValue::List(items, _) | CValue::Seq(items, _) => {
            let elem = match out_type {
                CType::List(e) | CType::Seq(e) => (**e).clone(),
                other => other.clone(),
            };
            let values = items
                .iter()
                .map(|i| field_access(field, i, &elem))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(match v {
                CValue::Seq(..) => CValue::seq(values, elem),
                _ => CValue::list(values, elem),
            })
        }
        CValue::Union(inner, _, _) => field_access(field, inner, out_type),
        other => terr(format!(
            "FieldAccess: source is {}, not a record",
            other.tag()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(t: &InlineTransform, inputs: &[CValue], out: &CType) -> Result<CValue, TransformError> {
        t.apply(|i| &inputs[i], out)
    }

    fn rec(fields: &[(&str, i64)]) -> CValue {
        CValue::record(fields.iter().map(|(k, v)| (*k, CValue::Int(*v))))
    }

    #[test]
    fn merge_right_wins_and_broadcasts() {
        let any = CType::Int;
        let merged = run(
            &InlineTransform::Merge,
            &[rec(&[("a", 1), ("b", 2)]), rec(&[("b", 3)])],
            &any,
        )
        .unwrap();
        assert_eq!(merged, rec(&[("a", 1), ("b", 3)]));

        let list = CValue::list(
            vec![rec(&[("a", 1)]), rec(&[("a", 2)])],
            CType::product([("a", CType::Int)]),
        );
        let broadcast = run(
            &InlineTransform::Merge,
            &[list.clone(), rec(&[("z", 9)])],
            &any,
        )
        .unwrap();
        assert_eq!(
            broadcast.as_list().unwrap(),
            &[rec(&[("a", 1), ("z", 9)]), rec(&[("a", 2), ("z", 9)])]
        );
        let zipped = run(&InlineTransform::Merge, &[list.clone(), list.clone()], &any).unwrap();
        assert_eq!(zipped.as_list().unwrap().len(), 2);
        let short = CValue::list(vec![rec(&[("a", 1)])], CType::product([("a", CType::Int)]));
        assert!(run(&InlineTransform::Merge, &[list, short], &any).is_err());
        // Two non-records: the right side wins, as in the original.
        assert_eq!(
            run(
                &InlineTransform::Merge,
                &[CValue::Int(1), CValue::Int(2)],
                &any
            )
            .unwrap(),
            CValue::Int(2)
        );
    }

    #[test]
    fn project_and_field_access_map_over_lists() {
        let r = rec(&[("a", 1), ("b", 2), ("c", 3)]);
        let p = InlineTransform::Project {
            fields: vec!["a".into(), "c".into()],
        };
        assert_eq!(
            run(&p, std::slice::from_ref(&r), &CType::Int).unwrap(),
            rec(&[("a", 1), ("c", 3)])
        );
        let f = InlineTransform::FieldAccess { field: "b".into() };
        assert_eq!(
            run(&f, std::slice::from_ref(&r), &CType::Int).unwrap(),
            CValue::Int(2)
        );
        let list = CValue::list(vec![r.clone(), r], CType::Int);
        assert_eq!(
            run(&f, &[list], &CType::list(CType::Int)).unwrap(),
            CValue::list(vec![CValue::Int(2), CValue::Int(2)], CType::Int)
        );
        let missing = InlineTransform::FieldAccess { field: "zz".into() };
        assert!(run(&missing, &[rec(&[("a", 1)])], &CType::Int)
            .unwrap_err()
            .0
            .contains("zz"));
    }

    #[test]
    fn control_transforms() {
        let t = CValue::Boolean(true);
        let f = CValue::Boolean(false);
        let (one, two) = (CValue::Int(1), CValue::Int(2));
        let opt = CType::optional(CType::Int);
        assert_eq!(
            run(
                &InlineTransform::Conditional,
                &[f.clone(), one.clone(), two.clone()],
                &CType::Int
            )
            .unwrap(),
            two
        );
        assert_eq!(
            run(&InlineTransform::Guard, &[one.clone(), t.clone()], &opt).unwrap(),
            CValue::some(one.clone(), CType::Int)
        );
        assert_eq!(
            run(&InlineTransform::Guard, &[one.clone(), f.clone()], &opt).unwrap(),
            CValue::none(CType::Int)
        );
        assert_eq!(
            run(
                &InlineTransform::Coalesce,
                &[CValue::none(CType::Int), two.clone()],
                &CType::Int
            )
            .unwrap(),
            two
        );
        assert_eq!(
            run(
                &InlineTransform::And,
                &[t.clone(), f.clone()],
                &CType::Boolean
            )
            .unwrap(),
            f
        );
        assert_eq!(
            run(
                &InlineTransform::Or,
                &[t.clone(), f.clone()],
                &CType::Boolean
            )
            .unwrap(),
            t
        );
        assert_eq!(
            run(&InlineTransform::Not, &[t], &CType::Boolean).unwrap(),
            f
        );
        assert!(run(&InlineTransform::Not, &[one], &CType::Boolean).is_err());
    }

    #[test]
    fn builders_and_literals() {
        let s = InlineTransform::StringInterpolation {
            parts: vec!["n=".into(), ", ok=".into(), "!".into()],
        };
        assert_eq!(
            run(&s, &[CValue::Int(3), CValue::Boolean(true)], &CType::String).unwrap(),
            CValue::String("n=3, ok=true!".into())
        );
        assert_eq!(s.input_names(), vec!["expr0", "expr1"]);
        let l = InlineTransform::ListLiteral { len: 2 };
        assert_eq!(
            run(
                &l,
                &[CValue::Int(1), CValue::Int(2)],
                &CType::list(CType::Int)
            )
            .unwrap(),
            CValue::list(vec![CValue::Int(1), CValue::Int(2)], CType::Int)
        );
        let r = InlineTransform::RecordBuild {
            fields: vec!["x".into(), "y".into()],
        };
        assert_eq!(
            run(&r, &[CValue::Int(1), CValue::Int(2)], &CType::Int).unwrap(),
            rec(&[("x", 1), ("y", 2)])
        );
        let lit = InlineTransform::Literal {
            value: CValue::Int(7),
        };
        assert_eq!(run(&lit, &[], &CType::Int).unwrap(), CValue::Int(7));
    }
}
