//! Types and values of the pipeline language: [`CType`] and [`CValue`].
//!
//! Both serialize to the original runtime's tagged JSON exactly
//! (`{"tag":"CInt","value":5}`, `{"tag":"CList","valuesType":{"tag":"CInt"}}`),
//! so specs and results written by the original read here and back; the
//! serde impls are in `value_serde.rs`. Decoding
//! from *plain* JSON (`{"x": 5}`) against an expected type lives in
//! [`crate::plain`].
//!
//! Record and union structures are kept in `BTreeMap`s: field order carries no
//! meaning in the original, and a canonical order makes equality structural.

use std::collections::BTreeMap;
use std::fmt;

/// Field name -> type, for records (`CProduct`) and unions (`CUnion`).
pub type Structure = BTreeMap<String, CType>;

/// A type of the pipeline language.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CType {
    /// UTF-8 text.
    String,
    /// 64-bit signed integer.
    Int,
    /// 64-bit float.
    Float,
    /// `true` or `false`.
    Boolean,
    /// An ordered list of values of one type.
    List(Box<CType>),
    /// A sequence; behaves like a list, kept distinct because the original does.
    Seq(Box<CType>),
    /// Key -> value pairs.
    Map(Box<CType>, Box<CType>),
    /// A record: every field present.
    Product(Structure),
    /// A tagged union: exactly one of the variants.
    Union(Structure),
    /// A value that may be absent.
    Optional(Box<CType>),
}

impl CType {
    /// `List<inner>`.
    pub fn list(inner: CType) -> Self {
        CType::List(Box::new(inner))
    }

    /// `Optional<inner>`.
    pub fn optional(inner: CType) -> Self {
        CType::Optional(Box::new(inner))
    }

    /// A record type from `(field, type)` pairs.
    pub fn product<I, S>(fields: I) -> Self
    where
        I: IntoIterator<Item = (S, CType)>,
        S: Into<String>,
    {
        CType::Product(fields.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }

    /// The original's tag for this type (`"CInt"`, `"CList"`, ...).
    pub fn tag(&self) -> &'static str {
        match self {
            CType::String => "CString",
            CType::Int => "CInt",
            CType::Float => "CFloat",
            CType::Boolean => "CBoolean",
            CType::List(_) => "CList",
            CType::Seq(_) => "CSeq",
            CType::Map(_, _) => "CMap",
            CType::Product(_) => "CProduct",
            CType::Union(_) => "CUnion",
            CType::Optional(_) => "COptional",
        }
    }
}

impl fmt::Display for CType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn fields(f: &mut fmt::Formatter<'_>, s: &Structure, sep: &str) -> fmt::Result {
            for (i, (name, ty)) in s.iter().enumerate() {
                if i > 0 {
                    f.write_str(sep)?;
                }
                write!(f, "{name}: {ty}")?;
            }
            Ok(())
        }
        match self {
            CType::String => f.write_str("String"),
            CType::Int => f.write_str("Int"),
            CType::Float => f.write_str("Float"),
            CType::Boolean => f.write_str("Boolean"),
            CType::List(t) => write!(f, "List<{t}>"),
            CType::Seq(t) => write!(f, "Seq<{t}>"),
            CType::Map(k, v) => write!(f, "Map<{k}, {v}>"),
            CType::Optional(t) => write!(f, "Optional<{t}>"),
            CType::Product(s) => {
                f.write_str("{")?;
                fields(f, s, ", ")?;
                f.write_str("}")
            }
            CType::Union(s) => {
                f.write_str("(")?;
                fields(f, s, " | ")?;
                f.write_str(")")
            }
        }
    }
}

/// A value of the pipeline language.
///
/// Containers carry their element types, as in the original, so that an empty
/// list or a `None` still knows its type. The types are boxed: every slot of
/// an execution holds a `CValue`, and scalars are by far the common case, so
/// the enum is kept at 48 bytes (inline types would make it 88). The
/// lower-case constructors ([`CValue::list`], [`CValue::some`], ...) box
/// for you.
///
/// `repr(u8)` keeps the variant in a tag byte of its own. Without it the
/// compiler hides the tag in a niche of a `Vec`'s capacity, which saves 8
/// bytes but makes every variant test and every scalar write several
/// instructions longer; on the executor's hot path that lost more than the
/// smaller moves gained (measured with `benches/callgrind.sh`).
#[derive(Clone, Debug, PartialEq)]
#[repr(u8)]
pub enum CValue {
    /// Text.
    String(String),
    /// 64-bit signed integer.
    Int(i64),
    /// 64-bit float.
    Float(f64),
    /// Boolean.
    Boolean(bool),
    /// A list and its element type.
    List(Vec<CValue>, Box<CType>),
    /// A sequence and its element type.
    Seq(Vec<CValue>, Box<CType>),
    /// Key/value pairs with the key and value types.
    Map(Vec<(CValue, CValue)>, Box<CType>, Box<CType>),
    /// A record: field values and the record's structure.
    Product(BTreeMap<String, CValue>, Box<Structure>),
    /// A union value: the value, the union's structure, and the chosen tag.
    Union(Box<CValue>, Box<Structure>, Box<str>),
    /// A present optional value and the inner type.
    Some(Box<CValue>, Box<CType>),
    /// An absent optional value of the inner type.
    None(Box<CType>),
}

impl CValue {
    /// The type of this value.
    pub fn ctype(&self) -> CType {
        match self {
            CValue::String(_) => CType::String,
            CValue::Int(_) => CType::Int,
            CValue::Float(_) => CType::Float,
            CValue::Boolean(_) => CType::Boolean,
            CValue::List(_, t) => CType::List(t.clone()),
            CValue::Seq(_, t) => CType::Seq(t.clone()),
            CValue::Map(_, k, v) => CType::Map(k.clone(), v.clone()),
            CValue::Product(_, s) => CType::Product((**s).clone()),
            CValue::Union(_, s, _) => CType::Union((**s).clone()),
            CValue::Some(_, t) | CValue::None(t) => CType::Optional(t.clone()),
        }
    }

    /// Whether this value's outer type is `ty` (a container's carried types
    /// are compared; its elements are not walked), without building the
    /// value's type. [`crate::typecheck::conforms`] checks all the way
    /// down, and is what every trust boundary uses.
    #[inline]
    pub fn has_type(&self, ty: &CType) -> bool {
        // Scalars inline (a tag test, on every input of every run); the
        // rest out of line.
        match (self, ty) {
            (CValue::String(_), CType::String)
            | (CValue::Int(_), CType::Int)
            | (CValue::Float(_), CType::Float)
            | (CValue::Boolean(_), CType::Boolean) => true,
            (CValue::String(_) | CValue::Int(_) | CValue::Float(_) | CValue::Boolean(_), _) => {
                false
            }
            _ => self.has_composite_type(ty),
        }
    }

    #[inline(never)]
    fn has_composite_type(&self, ty: &CType) -> bool {
        match (self, ty) {
            (CValue::List(_, t), CType::List(e)) | (CValue::Seq(_, t), CType::Seq(e)) => t == e,
            (CValue::Map(_, k, v), CType::Map(tk, tv)) => k == tk && v == tv,
            (CValue::Product(_, s), CType::Product(t))
            | (CValue::Union(_, s, _), CType::Union(t)) => **s == *t,
            (CValue::Some(_, t), CType::Optional(e)) | (CValue::None(t), CType::Optional(e)) => {
                t == e
            }
            _ => false,
        }
    }

    /// The original's tag (`"CInt"`, `"CSome"`, ...).
    pub fn tag(&self) -> &'static str {
        match self {
            CValue::String(_) => "CString",
            CValue::Int(_) => "CInt",
            CValue::Float(_) => "CFloat",
            CValue::Boolean(_) => "CBoolean",
            CValue::List(..) => "CList",
            CValue::Seq(..) => "CSeq",
            CValue::Map(..) => "CMap",
            CValue::Product(..) => "CProduct",
            CValue::Union(..) => "CUnion",
            CValue::Some(..) => "CSome",
            CValue::None(_) => "CNone",
        }
    }

    /// A `List<elem>` value.
    pub fn list(values: Vec<CValue>, elem: CType) -> Self {
        CValue::List(values, Box::new(elem))
    }

    /// A `Seq<elem>` value.
    pub fn seq(values: Vec<CValue>, elem: CType) -> Self {
        CValue::Seq(values, Box::new(elem))
    }

    /// A `Map<key, value>` value.
    pub fn map(entries: Vec<(CValue, CValue)>, key: CType, value: CType) -> Self {
        CValue::Map(entries, Box::new(key), Box::new(value))
    }

    /// A record value with an explicit structure.
    pub fn product(values: BTreeMap<String, CValue>, structure: Structure) -> Self {
        CValue::Product(values, Box::new(structure))
    }

    /// A union value: `value` under `tag` of the union `structure` (which
    /// must list `tag`, as decoding from JSON checks).
    pub fn union(value: CValue, structure: Structure, tag: impl Into<Box<str>>) -> Self {
        let tag = tag.into();
        debug_assert!(
            structure.contains_key(&*tag),
            "union tag `{tag}` is not in its structure"
        );
        CValue::Union(Box::new(value), Box::new(structure), tag)
    }

    /// A present `Optional<inner>` value.
    pub fn some(value: CValue, inner: CType) -> Self {
        CValue::Some(Box::new(value), Box::new(inner))
    }

    /// An absent `Optional<inner>` value.
    pub fn none(inner: CType) -> Self {
        CValue::None(Box::new(inner))
    }

    /// A record value; its structure is taken from the field values.
    pub fn record<I, S>(fields: I) -> Self
    where
        I: IntoIterator<Item = (S, CValue)>,
        S: Into<String>,
    {
        let values: BTreeMap<String, CValue> =
            fields.into_iter().map(|(k, v)| (k.into(), v)).collect();
        let structure = values.iter().map(|(k, v)| (k.clone(), v.ctype())).collect();
        CValue::product(values, structure)
    }

    /// The integer inside, if this is an `Int`.
    pub fn as_int(&self) -> Option<i64> {
        match self {
            CValue::Int(v) => Some(*v),
            _ => None,
        }
    }

    /// The float inside, if this is a `Float`.
    pub fn as_float(&self) -> Option<f64> {
        match self {
            CValue::Float(v) => Some(*v),
            _ => None,
        }
    }

    /// The boolean inside, if this is a `Boolean`.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            CValue::Boolean(v) => Some(*v),
            _ => None,
        }
    }

    /// The text inside, if this is a `String`.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            CValue::String(v) => Some(v),
            _ => None,
        }
    }

    /// The elements, if this is a `List` or a `Seq`.
    pub fn as_list(&self) -> Option<&[CValue]> {
        match self {
            CValue::List(v, _) | CValue::Seq(v, _) => Some(v),
            _ => None,
        }
    }
}

impl From<i64> for CValue {
    fn from(v: i64) -> Self {
        CValue::Int(v)
    }
}
impl From<f64> for CValue {
    fn from(v: f64) -> Self {
        CValue::Float(v)
    }
}
impl From<bool> for CValue {
    fn from(v: bool) -> Self {
        CValue::Boolean(v)
    }
}
impl From<String> for CValue {
    fn from(v: String) -> Self {
        CValue::String(v)
    }
}
impl From<&str> for CValue {
    fn from(v: &str) -> Self {
        CValue::String(v.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_is_at_most_48_bytes() {
        // Every slot of every execution holds one: inline types would make
        // it 88 bytes, and every module's output is moved at that size.
        assert!(
            std::mem::size_of::<CValue>() <= 48,
            "{}",
            std::mem::size_of::<CValue>()
        );
    }

    #[test]
    fn has_type_agrees_with_ctype() {
        let values = [
            CValue::Int(1),
            CValue::list(vec![], CType::String),
            CValue::none(CType::Int),
            CValue::record([("a", CValue::Boolean(true))]),
        ];
        for v in &values {
            assert!(v.has_type(&v.ctype()));
            assert!(!v.has_type(&CType::Float));
        }
    }
}
