//! The checker's types: the language's types plus the two a checker needs
//! (`Nothing`, the element type of `[]`, and `Error`, the type of what
//! already failed to check, which silences follow-on errors).
//!
//! Unions are sets of member types, as in the original. On the wire
//! ([`CType::Union`]) a union is a structure, so each member is keyed by its
//! printed form (`"Int"`, `"{a: Int}"`).

use std::collections::BTreeMap;
use std::fmt;

use asterism_compiler::CType;

/// A type as the checker sees it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Ty {
    /// String.
    Str,
    /// Int.
    Int,
    /// Float.
    Float,
    /// Boolean.
    Bool,
    /// `List<T>`.
    List(Box<Ty>),
    /// `Seq<T>`.
    Seq(Box<Ty>),
    /// `Map<K, V>`.
    Map(Box<Ty>, Box<Ty>),
    /// A record.
    Record(BTreeMap<String, Ty>),
    /// A union of two or more members, sorted, no duplicates.
    Union(Vec<Ty>),
    /// `Optional<T>`.
    Optional(Box<Ty>),
    /// The element type of an empty list: fits any type.
    Nothing,
    /// Something that already failed to check.
    Error,
}

impl Ty {
    /// `List<t>`.
    pub fn list(t: Ty) -> Ty {
        Ty::List(Box::new(t))
    }

    /// `Optional<t>`.
    pub fn optional(t: Ty) -> Ty {
        Ty::Optional(Box::new(t))
    }

    /// A union of `members`, flattened; one member is that member.
    pub fn union(members: Vec<Ty>) -> Ty {
        let mut flat = Vec::new();
        for m in members {
            match m {
                Ty::Union(inner) => flat.extend(inner),
                other => flat.push(other),
            }
        }
        flat.sort();
        flat.dedup();
        if flat.len() == 1 {
            flat.pop().expect("one member")
        } else {
            Ty::Union(flat)
        }
    }

    /// Whether the type contains `Error` (a follow-on of a reported problem).
    pub fn has_error(&self) -> bool {
        match self {
            Ty::Error => true,
            Ty::List(t) | Ty::Seq(t) | Ty::Optional(t) => t.has_error(),
            Ty::Map(k, v) => k.has_error() || v.has_error(),
            Ty::Record(f) => f.values().any(Ty::has_error),
            Ty::Union(m) => m.iter().any(Ty::has_error),
            _ => false,
        }
    }

    /// The wire type. `Nothing` becomes `String`, as in the original.
    pub fn to_ctype(&self) -> CType {
        match self {
            Ty::Str | Ty::Nothing | Ty::Error => CType::String,
            Ty::Int => CType::Int,
            Ty::Float => CType::Float,
            Ty::Bool => CType::Boolean,
            Ty::List(t) => CType::list(t.to_ctype()),
            Ty::Seq(t) => CType::Seq(Box::new(t.to_ctype())),
            Ty::Map(k, v) => CType::Map(Box::new(k.to_ctype()), Box::new(v.to_ctype())),
            Ty::Record(f) => {
                CType::Product(f.iter().map(|(k, v)| (k.clone(), v.to_ctype())).collect())
            }
            Ty::Union(m) => CType::Union(m.iter().map(|t| (t.to_string(), t.to_ctype())).collect()),
            Ty::Optional(t) => CType::optional(t.to_ctype()),
        }
    }

    /// The checker's view of a wire type.
    pub fn from_ctype(c: &CType) -> Ty {
        match c {
            CType::String => Ty::Str,
            CType::Int => Ty::Int,
            CType::Float => Ty::Float,
            CType::Boolean => Ty::Bool,
            CType::List(t) => Ty::list(Ty::from_ctype(t)),
            CType::Seq(t) => Ty::Seq(Box::new(Ty::from_ctype(t))),
            CType::Map(k, v) => Ty::Map(Box::new(Ty::from_ctype(k)), Box::new(Ty::from_ctype(v))),
            CType::Product(s) => Ty::Record(
                s.iter()
                    .map(|(k, v)| (k.clone(), Ty::from_ctype(v)))
                    .collect(),
            ),
            CType::Union(s) => Ty::union(s.values().map(Ty::from_ctype).collect()),
            CType::Optional(t) => Ty::optional(Ty::from_ctype(t)),
        }
    }

    /// Whether a value of type `self` may be used where `want` is expected
    /// with no conversion: equal types, `Nothing` for anything, `Error` for
    /// anything (already reported), containers element-wise.
    pub fn fits(&self, want: &Ty) -> bool {
        match (self, want) {
            (Ty::Error, _) | (_, Ty::Error) | (Ty::Nothing, _) => true,
            (Ty::List(a), Ty::List(b)) | (Ty::Seq(a), Ty::Seq(b)) => a.fits(b),
            (Ty::Optional(a), Ty::Optional(b)) => a.fits(b),
            (Ty::Map(ak, av), Ty::Map(bk, bv)) => ak.fits(bk) && av.fits(bv),
            (Ty::Record(a), Ty::Record(b)) => {
                a.len() == b.len() && a.iter().all(|(k, t)| b.get(k).is_some_and(|u| t.fits(u)))
            }
            (a, b) => a == b,
        }
    }

    /// Whether `self` is a record with at least `want`'s fields (of fitting
    /// types) and more: lowered by projecting the extra fields away.
    pub fn narrows_to(&self, want: &Ty) -> bool {
        match (self, want) {
            (Ty::Record(a), Ty::Record(b)) => {
                a.len() > b.len() && b.iter().all(|(k, t)| a.get(k).is_some_and(|u| u.fits(t)))
            }
            _ => false,
        }
    }

    /// Whether values of the type can be merged with `+` (records, and lists
    /// or sequences of records).
    pub fn is_mergeable(&self) -> bool {
        match self {
            Ty::Record(_) => true,
            Ty::List(t) | Ty::Seq(t) => matches!(**t, Ty::Record(_)),
            _ => false,
        }
    }

    /// The record fields of a record, or of the elements of a list or
    /// sequence of records.
    pub fn record_fields(&self) -> Option<&BTreeMap<String, Ty>> {
        match self {
            Ty::Record(f) => Some(f),
            Ty::List(t) | Ty::Seq(t) => match &**t {
                Ty::Record(f) => Some(f),
                _ => None,
            },
            _ => None,
        }
    }
}

impl fmt::Display for Ty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ty::Str => f.write_str("String"),
            Ty::Int => f.write_str("Int"),
            Ty::Float => f.write_str("Float"),
            Ty::Bool => f.write_str("Boolean"),
            Ty::List(t) => write!(f, "List<{t}>"),
            Ty::Seq(t) => write!(f, "Seq<{t}>"),
            Ty::Map(k, v) => write!(f, "Map<{k}, {v}>"),
            Ty::Optional(t) => write!(f, "Optional<{t}>"),
            Ty::Nothing => f.write_str("Nothing"),
            Ty::Error => f.write_str("?"),
            Ty::Record(fields) => {
                f.write_str("{")?;
                for (i, (k, v)) in fields.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{k}: {v}")?;
                }
                f.write_str("}")
            }
            Ty::Union(m) => {
                for (i, t) in m.iter().enumerate() {
                    if i > 0 {
                        f.write_str(" | ")?;
                    }
                    write!(f, "{t}")?;
                }
                Ok(())
            }
        }
    }
}

/// Merges two types with `+` (right wins on a shared field), as the
/// original's `mergeTypes`: records, lists or sequences of records, and a
/// record broadcast over a list or sequence. `None` if they cannot merge.
pub fn merge_types(l: &Ty, r: &Ty) -> Option<Ty> {
    match (l, r) {
        (Ty::Record(a), Ty::Record(b)) => {
            let mut m = a.clone();
            m.extend(b.iter().map(|(k, v)| (k.clone(), v.clone())));
            Some(Ty::Record(m))
        }
        (Ty::List(a), Ty::List(b)) if matches!((&**a, &**b), (Ty::Record(_), Ty::Record(_))) => {
            merge_types(a, b).map(Ty::list)
        }
        (Ty::Seq(a), Ty::Seq(b)) if matches!((&**a, &**b), (Ty::Record(_), Ty::Record(_))) => {
            merge_types(a, b).map(|t| Ty::Seq(Box::new(t)))
        }
        (Ty::List(a), rec @ Ty::Record(_)) => merge_types(a, rec).map(Ty::list),
        (rec @ Ty::Record(_), Ty::List(b)) => merge_types(rec, b).map(Ty::list),
        (Ty::Seq(a), rec @ Ty::Record(_)) => merge_types(a, rec).map(|t| Ty::Seq(Box::new(t))),
        (rec @ Ty::Record(_), Ty::Seq(b)) => merge_types(rec, b).map(|t| Ty::Seq(Box::new(t))),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_round_trip_and_fitting() {
        let t = Ty::Record(
            [
                ("a".to_owned(), Ty::list(Ty::Int)),
                ("b".to_owned(), Ty::optional(Ty::Str)),
            ]
            .into_iter()
            .collect(),
        );
        assert_eq!(Ty::from_ctype(&t.to_ctype()), t);
        assert!(Ty::list(Ty::Nothing).fits(&Ty::list(Ty::Int)));
        assert!(!Ty::Int.fits(&Ty::Float));
        let u = Ty::union(vec![Ty::Int, Ty::Str, Ty::Int]);
        assert_eq!(u.to_string(), "String | Int");
        assert_eq!(Ty::from_ctype(&u.to_ctype()), u);
    }
}
