//! The type check: the one place that says whether a value is of a type,
//! whether one type may stand for another, and what type each transform
//! takes and gives.
//!
//! Every path into a pipeline goes through here:
//!
//! - a `Literal` transform's value and a tagged input are checked with
//!   [`check_value`] (the compiler and the runtime's input check);
//! - [`conforms`] is what the runtime calls on every input and every module
//!   output (a tag test inline for scalars, the walk out of line);
//!   [`CValue::has_type`] compares outer types only;
//! - a transform's input and output types are checked by
//!   [`transform_output`] at compile time;
//! - a module node's declared `consumes` / `produces` are checked against the
//!   bound signature with [`is_subtype`].
//!
//! A value is of a type when its shape is the type's and every type it
//! carries (a list's element type, a record's structure, ...) *equals* the
//! type's, all the way down: values carry their types, so a value whose
//! carried type is only a subtype would break the next exact comparison.
//! Subtyping (the original's rules, `Subtyping.scala`) applies only between
//! declared types.
//!
//! Adding a [`CType`] variant is one arm in [`check_at`] and one in
//! [`is_subtype`].

use std::fmt;

use crate::transform::InlineTransform;
use crate::value::{CType, CValue, Structure};

/// A value that is not of its declared type, and where.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {problem}")]
pub struct TypeError {
    /// Where the offending part sits, from the root name (`xs[1].price`).
    pub path: String,
    /// What is wrong there.
    pub problem: String,
}

/// A path being walked; rendered only when an error is built, so a value
/// that conforms is checked without allocating.
#[derive(Clone, Copy)]
enum Path<'a> {
    Root(&'a str),
    Field(&'a Path<'a>, &'a str),
    Index(&'a Path<'a>, usize),
    Key(&'a Path<'a>, usize),
}

impl fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Path::Root(name) => f.write_str(name),
            Path::Field(parent, name) => write!(f, "{parent}.{name}"),
            Path::Index(parent, i) => write!(f, "{parent}[{i}]"),
            Path::Key(parent, i) => write!(f, "{parent}.key[{i}]"),
        }
    }
}

fn error(path: &Path<'_>, problem: String) -> TypeError {
    TypeError {
        path: path.to_string(),
        problem,
    }
}

/// Whether `value` is of type `ty`, all the way down. Allocates nothing.
///
/// Scalars are a tag test inline (the runtime calls this on every input
/// and every module output); containers are walked out of line.
#[inline]
pub fn conforms(value: &CValue, ty: &CType) -> bool {
    match (value, ty) {
        (CValue::String(_), CType::String)
        | (CValue::Int(_), CType::Int)
        | (CValue::Float(_), CType::Float)
        | (CValue::Boolean(_), CType::Boolean) => true,
        (CValue::String(_) | CValue::Int(_) | CValue::Float(_) | CValue::Boolean(_), _) => false,
        _ => conforms_deep(value, ty),
    }
}

#[inline(never)]
fn conforms_deep(value: &CValue, ty: &CType) -> bool {
    check_at(&Path::Root(""), value, ty).is_ok()
}

/// Checks that `value` is of type `ty`, all the way down; `root` names the
/// value in the error's path (an input's name, `literal`, ...).
///
/// ```
/// use asterism_compiler::{typecheck::check_value, CType, CValue};
/// let bad = CValue::list(vec![CValue::Int(1), CValue::String("a".into())], CType::Int);
/// let err = check_value("xs", &bad, &CType::list(CType::Int)).unwrap_err();
/// assert_eq!(err.to_string(), "xs[1]: expected Int, found String");
/// ```
pub fn check_value(root: &str, value: &CValue, ty: &CType) -> Result<(), TypeError> {
    check_at(&Path::Root(root), value, ty)
}

fn check_at(path: &Path<'_>, value: &CValue, ty: &CType) -> Result<(), TypeError> {
    let carried = |kind: &str, found: &dyn fmt::Display| {
        Err(error(
            path,
            format!("expected {ty}, found a {kind} that carries {found}"),
        ))
    };
    match (ty, value) {
        (CType::String, CValue::String(_))
        | (CType::Int, CValue::Int(_))
        | (CType::Float, CValue::Float(_))
        | (CType::Boolean, CValue::Boolean(_)) => Ok(()),
        // A list stands for a sequence and the reverse, as at module ports
        // (the original's `List<T> <: Seq<T>`; modules read both alike).
        (CType::List(e) | CType::Seq(e), CValue::List(items, t) | CValue::Seq(items, t)) => {
            if t != e {
                return carried(value.tag(), &format_args!("element type {t}"));
            }
            for (i, item) in items.iter().enumerate() {
                check_at(&Path::Index(path, i), item, e)?;
            }
            Ok(())
        }
        (CType::Map(k, v), CValue::Map(entries, tk, tv)) => {
            if tk != k || tv != v {
                return carried("map", &format_args!("types {tk} -> {tv}"));
            }
            for (i, (key, val)) in entries.iter().enumerate() {
                check_at(&Path::Key(path, i), key, k)?;
                check_at(&Path::Index(path, i), val, v)?;
            }
            Ok(())
        }
        (CType::Product(s), CValue::Product(fields, st)) => {
            if **st != *s {
                return carried(
                    "record",
                    &format_args!("structure {}", CType::Product((**st).clone())),
                );
            }
            if let Some(extra) = fields.keys().find(|k| !s.contains_key(*k)) {
                return Err(error(
                    &Path::Field(path, extra),
                    format!("the record {ty} has no such field"),
                ));
            }
            for (name, fty) in s {
                let at = Path::Field(path, name);
                match fields.get(name) {
                    Some(v) => check_at(&at, v, fty)?,
                    None => return Err(error(&at, format!("missing field of type {fty}"))),
                }
            }
            Ok(())
        }
        (CType::Union(s), CValue::Union(inner, st, tag)) => {
            if **st != *s {
                return carried(
                    "union",
                    &format_args!("structure {}", CType::Union((**st).clone())),
                );
            }
            match s.get(&**tag) {
                Some(vty) => check_at(&Path::Field(path, tag), inner, vty),
                None => Err(error(path, format!("`{tag}` is not a variant of {ty}"))),
            }
        }
        (CType::Optional(e), CValue::Some(inner, t)) => {
            if t != e {
                return carried("CSome", &format_args!("inner type {t}"));
            }
            check_at(path, inner, e)
        }
        (CType::Optional(e), CValue::None(t)) => {
            if t != e {
                return carried("CNone", &format_args!("inner type {t}"));
            }
            Ok(())
        }
        _ => Err(error(
            path,
            format!("expected {ty}, found {}", kind_of(value)),
        )),
    }
}

/// A value's kind in messages: scalars by their type name, containers by
/// tag.
fn kind_of(value: &CValue) -> &'static str {
    match value {
        CValue::String(_) => "String",
        CValue::Int(_) => "Int",
        CValue::Float(_) => "Float",
        CValue::Boolean(_) => "Boolean",
        other => other.tag(),
    }
}

/// Whether a value of type `sub` may be used where `sup` is declared, by
/// the original's rules (`Subtyping.scala`): reflexive; `List`, `Seq` and
/// `Optional` covariant, `List<S> <: Seq<T>` when `S <: T`; maps invariant
/// in keys, covariant in values; records by width and depth (`sub` has
/// every field of `sup`, each a subtype); `S <: (T1 | T2)` when `S` is a
/// subtype of a variant; a union is a subtype of `T` when every variant is.
pub fn is_subtype(sub: &CType, sup: &CType) -> bool {
    if sub == sup {
        return true;
    }
    match (sub, sup) {
        (CType::List(s), CType::List(t))
        | (CType::Seq(s), CType::Seq(t))
        | (CType::List(s), CType::Seq(t))
        | (CType::Optional(s), CType::Optional(t)) => is_subtype(s, t),
        (CType::Map(sk, sv), CType::Map(tk, tv)) => sk == tk && is_subtype(sv, tv),
        (CType::Product(s), CType::Product(t)) => t
            .iter()
            .all(|(name, tt)| s.get(name).is_some_and(|st| is_subtype(st, tt))),
        (_, CType::Union(variants)) if variants.values().any(|v| is_subtype(sub, v)) => true,
        (CType::Union(variants), _) => variants.values().all(|v| is_subtype(v, sup)),
        _ => false,
    }
}

/// Checks a transform's typing: given the types of its inputs (in
/// [`InlineTransform::input_names`] order) and the node's declared type,
/// `Err` says what is wrong. A transform that passes produces, for inputs
/// of those types, only values of the declared type.
pub fn check_transform(
    transform: &InlineTransform,
    inputs: &[&CType],
    declared: &CType,
) -> Result<(), String> {
    let gives = transform_output(transform, inputs, declared)?;
    if gives == *declared {
        Ok(())
    } else {
        Err(format!(
            "{} gives {gives} for these inputs, but the node is declared {declared}; declare it {gives}",
            transform.kind()
        ))
    }
}

/// The type a transform gives for inputs of these types. `declared` (the
/// node's type) fixes what the inputs cannot: a literal's type, an empty
/// list's element type.
pub fn transform_output(
    transform: &InlineTransform,
    inputs: &[&CType],
    declared: &CType,
) -> Result<CType, String> {
    let input = |i: usize| -> &CType { inputs[i] };
    let names = transform.input_names();
    if names.len() != inputs.len() {
        return Err(format!(
            "{} takes {} inputs, {} given",
            transform.kind(),
            names.len(),
            inputs.len()
        ));
    }
    let want = |i: usize, ty: &CType| -> Result<(), String> {
        if input(i) == ty {
            Ok(())
        } else {
            Err(format!(
                "input `{}` is {} but {} needs {ty}",
                names[i],
                input(i),
                transform.kind()
            ))
        }
    };
    Ok(match transform {
        InlineTransform::Merge => merge_type(input(0), input(1))?,
        InlineTransform::Project { fields } => project_type(fields, input(0))?,
        InlineTransform::FieldAccess { field } => field_type(field, input(0))?,
        InlineTransform::Conditional => {
            want(0, &CType::Boolean)?;
            want(2, input(1))?;
            input(1).clone()
        }
        InlineTransform::Guard => {
            want(1, &CType::Boolean)?;
            CType::optional(input(0).clone())
        }
        InlineTransform::Coalesce => match input(0) {
            CType::Optional(inner) => {
                want(1, inner)?;
                (**inner).clone()
            }
            other => {
                return Err(format!(
                    "input `left` is {other}, but Coalesce needs an Optional"
                ))
            }
        },
        InlineTransform::And | InlineTransform::Or => {
            want(0, &CType::Boolean)?;
            want(1, &CType::Boolean)?;
            CType::Boolean
        }
        InlineTransform::Not => {
            want(0, &CType::Boolean)?;
            CType::Boolean
        }
        InlineTransform::Literal { value } => {
            check_value("value", value, declared)
                .map_err(|e| format!("the Literal is not of the declared type {declared}: {e}"))?;
            declared.clone()
        }
        InlineTransform::StringInterpolation { .. } => CType::String,
        InlineTransform::ListLiteral { .. } => {
            let elem = match declared {
                CType::List(e) => (**e).clone(),
                other => {
                    return Err(format!(
                        "a ListLiteral gives a List, but the node is declared {other}"
                    ))
                }
            };
            for i in 0..inputs.len() {
                want(i, &elem)?;
            }
            CType::list(elem)
        }
        InlineTransform::Collect => CType::list(match input(0) {
            CType::List(e) | CType::Seq(e) => (**e).clone(),
            other => other.clone(),
        }),
        InlineTransform::Interleave | InlineTransform::Zip => {
            let elems = |i: usize| match input(i) {
                CType::List(e) | CType::Seq(e) => Ok((**e).clone()),
                other => Err(format!(
                    "input `{}` is {other}, but {} needs a List or Seq",
                    names[i],
                    transform.kind()
                )),
            };
            let (l, r) = (elems(0)?, elems(1)?);
            let elem = if matches!(transform, InlineTransform::Zip) {
                CType::product([("_1", l), ("_2", r)])
            } else if l == r {
                l
            } else {
                return Err(format!(
                    "Interleave needs two lists of one element type, given {l} and {r}"
                ));
            };
            match declared {
                CType::Seq(_) => CType::Seq(Box::new(elem)),
                _ => CType::list(elem),
            }
        }
        InlineTransform::RecordBuild { fields } => CType::Product(
            fields
                .iter()
                .zip(inputs)
                .map(|(f, t)| (f.clone(), (*t).clone()))
                .collect(),
        ),
    })
}

fn merge_structures(l: &Structure, r: &Structure) -> CType {
    let mut s = l.clone();
    s.extend(r.iter().map(|(k, v)| (k.clone(), v.clone())));
    CType::Product(s)
}

/// Rebuilds a container of the same kind around a new element type.
type Rewrap = fn(CType) -> CType;

/// A list's or a sequence's record elements, with a rebuild of the same
/// kind of container around a new element type.
fn record_elems(t: &CType) -> Option<(&Structure, Rewrap)> {
    match t {
        CType::List(e) => match &**e {
            CType::Product(s) => Some((s, CType::list)),
            _ => None,
        },
        CType::Seq(e) => match &**e {
            CType::Product(s) => Some((s, |t| CType::Seq(Box::new(t)))),
            _ => None,
        },
        _ => None,
    }
}

/// The original's Merge: records merge (right wins per field), lists or
/// sequences of records merge element-wise or with a record broadcast over
/// them, and any other pair gives the right side.
fn merge_type(l: &CType, r: &CType) -> Result<CType, String> {
    Ok(match (l, r) {
        (CType::Product(a), CType::Product(b)) => merge_structures(a, b),
        _ => match (record_elems(l), record_elems(r), l, r) {
            (Some((a, _)), Some((b, wrap)), _, _) => wrap(merge_structures(a, b)),
            (Some((a, wrap)), None, _, CType::Product(b)) => wrap(merge_structures(a, b)),
            (None, Some((b, wrap)), CType::Product(a), _) => wrap(merge_structures(a, b)),
            _ => r.clone(),
        },
    })
}

/// The original's Project: the named fields the record has (a missing one
/// is left out), over each element of a list or sequence of records; any
/// other value passes through unchanged.
fn project_type(fields: &[String], source: &CType) -> Result<CType, String> {
    let keep = |s: &Structure| -> CType {
        CType::Product(
            fields
                .iter()
                .filter_map(|f| s.get(f).map(|t| (f.clone(), t.clone())))
                .collect(),
        )
    };
    Ok(match source {
        CType::Product(s) => keep(s),
        _ => match record_elems(source) {
            Some((s, wrap)) => wrap(keep(s)),
            None => source.clone(),
        },
    })
}

fn field_type(field: &str, source: &CType) -> Result<CType, String> {
    match source {
        CType::Product(s) => s.get(field).cloned().ok_or_else(|| {
            format!("FieldAccess reads field `{field}`, which the source {source} does not have")
        }),
        CType::List(e) => Ok(CType::list(field_type(field, e)?)),
        CType::Seq(e) => Ok(CType::Seq(Box::new(field_type(field, e)?))),
        CType::Union(variants) => {
            // The variants that are records with the field decide its type;
            // a run holding another variant fails the node, as in the
            // original.
            let mut found: Option<CType> = None;
            for t in variants.values().filter_map(|v| field_type(field, v).ok()) {
                match &found {
                    Some(f) if *f != t => {
                        return Err(format!(
                            "FieldAccess reads `{field}` of the union {source}, whose variants give it different types ({f} and {t})"
                        ))
                    }
                    _ => found = Some(t),
                }
            }
            found.ok_or_else(|| {
                format!("FieldAccess reads `{field}`, which no variant of the union {source} has")
            })
        }
        _ => Err(format!(
            "FieldAccess takes a record, a list or sequence of records or a union of records, not {source}"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(fields: &[(&str, CType)]) -> CType {
        CType::product(fields.iter().map(|(k, t)| (*k, t.clone())))
    }

    #[test]
    fn a_list_carrying_the_right_type_with_a_wrong_element_is_refused() {
        let bad = CValue::list(vec![CValue::String("a".into()), CValue::Int(5)], CType::Int);
        let err = check_value("xs", &bad, &CType::list(CType::Int)).unwrap_err();
        assert_eq!(err.to_string(), "xs[0]: expected Int, found String");
        assert!(
            bad.has_type(&CType::list(CType::Int)),
            "the outer type only"
        );
        assert!(!conforms(&bad, &CType::list(CType::Int)));
    }

    #[test]
    fn a_record_missing_or_adding_a_field_is_refused() {
        let ty = rec(&[("a", CType::Int)]);
        let structure = match &ty {
            CType::Product(s) => s.clone(),
            _ => unreachable!(),
        };
        let empty = CValue::product(Default::default(), structure.clone());
        assert_eq!(
            check_value("r", &empty, &ty).unwrap_err().to_string(),
            "r.a: missing field of type Int"
        );
        let extra = CValue::product(
            [
                ("a".to_owned(), CValue::Int(1)),
                ("b".to_owned(), CValue::Int(2)),
            ]
            .into(),
            structure,
        );
        assert!(check_value("r", &extra, &ty)
            .unwrap_err()
            .to_string()
            .starts_with("r.b: the record"));
    }

    #[test]
    fn nested_paths_and_carried_types() {
        let ty = CType::list(rec(&[("x", CType::optional(CType::Float))]));
        let good = CValue::list(
            vec![CValue::record([(
                "x",
                CValue::some(CValue::Float(1.0), CType::Float),
            )])],
            rec(&[("x", CType::optional(CType::Float))]),
        );
        assert_eq!(check_value("v", &good, &ty), Ok(()));
        let bad = CValue::list(
            vec![
                good.as_list().unwrap()[0].clone(),
                CValue::record([("x", CValue::some(CValue::Int(1), CType::Float))]),
            ],
            rec(&[("x", CType::optional(CType::Float))]),
        );
        // The second record's `x` carries Float but holds an Int.
        let err = check_value("v", &bad, &ty).unwrap_err();
        assert_eq!(err.to_string(), "v[1].x: expected Float, found Int");
        // A sequence stands for a list (and the reverse), element types
        // still checked.
        let seq_for_list = CValue::seq(vec![], CType::Int);
        assert!(check_value("s", &seq_for_list, &CType::list(CType::Int)).is_ok());
        assert!(check_value("s", &seq_for_list, &CType::list(CType::String)).is_err());
        let map = CValue::map(
            vec![(CValue::Int(1), CValue::Int(2))],
            CType::String,
            CType::Int,
        );
        assert!(check_value(
            "m",
            &map,
            &CType::Map(Box::new(CType::String), Box::new(CType::Int))
        )
        .unwrap_err()
        .to_string()
        .starts_with("m.key[0]: expected String"));
    }

    #[test]
    fn subtyping_follows_the_original() {
        let (i, f) = (CType::Int, CType::Float);
        assert!(is_subtype(&i, &i));
        assert!(!is_subtype(&i, &f));
        assert!(is_subtype(
            &CType::list(i.clone()),
            &CType::Seq(Box::new(i.clone()))
        ));
        assert!(!is_subtype(
            &CType::Seq(Box::new(i.clone())),
            &CType::list(i.clone())
        ));
        let wide = rec(&[("a", i.clone()), ("b", f.clone())]);
        let narrow = rec(&[("a", i.clone())]);
        assert!(is_subtype(&wide, &narrow));
        assert!(!is_subtype(&narrow, &wide));
        let u = CType::Union([("i".to_owned(), i.clone()), ("f".to_owned(), f.clone())].into());
        assert!(is_subtype(&i, &u));
        assert!(!is_subtype(&u, &i));
        let m = |k: CType, v: CType| CType::Map(Box::new(k), Box::new(v));
        assert!(is_subtype(
            &m(i.clone(), wide.clone()),
            &m(i.clone(), narrow.clone())
        ));
        assert!(!is_subtype(&m(wide, i.clone()), &m(narrow, i)));
    }

    #[test]
    fn transforms_are_typed() {
        let b = CType::Boolean;
        let i = CType::Int;
        assert_eq!(
            check_transform(&InlineTransform::Not, &[&b], &i).unwrap_err(),
            "Not gives Boolean for these inputs, but the node is declared Int; declare it Boolean"
        );
        assert!(check_transform(&InlineTransform::Not, &[&i], &b)
            .unwrap_err()
            .contains("input `operand` is Int"));
        assert!(check_transform(&InlineTransform::Conditional, &[&b, &i, &i], &i).is_ok());
        assert!(check_transform(&InlineTransform::Conditional, &[&b, &i, &b], &i).is_err());
        let opt = CType::optional(i.clone());
        assert!(check_transform(&InlineTransform::Guard, &[&i, &b], &opt).is_ok());
        assert!(check_transform(&InlineTransform::Coalesce, &[&opt, &i], &i).is_ok());
        assert!(check_transform(&InlineTransform::Coalesce, &[&i, &i], &i).is_err());
        let r = rec(&[("a", i.clone()), ("b", b.clone())]);
        let fa = InlineTransform::FieldAccess { field: "a".into() };
        assert!(check_transform(&fa, &[&r], &i).is_ok());
        assert!(check_transform(&fa, &[&CType::list(r.clone())], &CType::list(i.clone())).is_ok());
        let p = InlineTransform::Project {
            fields: vec!["b".into()],
        };
        assert!(check_transform(&p, &[&r], &rec(&[("b", b.clone())])).is_ok());
        // As in the original, a non-record passes Project unchanged.
        assert!(check_transform(&p, &[&i], &i).is_ok());
        assert!(check_transform(&p, &[&i], &b).is_err());
        let merged = rec(&[("a", i.clone()), ("b", i.clone())]);
        assert!(check_transform(
            &InlineTransform::Merge,
            &[&r, &rec(&[("b", i.clone())])],
            &merged
        )
        .is_ok());
        let rb = InlineTransform::RecordBuild {
            fields: vec!["x".into()],
        };
        assert!(check_transform(&rb, &[&i], &rec(&[("x", i.clone())])).is_ok());
        assert!(check_transform(&rb, &[&i], &rec(&[("x", b.clone())])).is_err());
        let ll = InlineTransform::ListLiteral { len: 2 };
        assert!(check_transform(&ll, &[&i, &i], &CType::list(i.clone())).is_ok());
        assert!(check_transform(&ll, &[&i, &b], &CType::list(i.clone())).is_err());
        let s = InlineTransform::StringInterpolation {
            parts: vec!["a".into(), "b".into()],
        };
        assert!(check_transform(&s, &[&r], &CType::String).is_ok());
        let lit = InlineTransform::Literal {
            value: CValue::list(vec![CValue::String("a".into())], CType::Int),
        };
        assert!(check_transform(&lit, &[], &CType::list(i))
            .unwrap_err()
            .contains("value[0]: expected Int"));
    }
}
